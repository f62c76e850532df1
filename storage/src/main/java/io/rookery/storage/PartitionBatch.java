package io.rookery.storage;

import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/**
 * Writes to one partition's key range that are committed together, atomically, with the index of
 * the Raft entry they come from ({@link NodeStore#commit}). Not thread-safe; close when done.
 */
public final class PartitionBatch implements AutoCloseable
{
    private final int partition;
    private final WriteBatch batch = new WriteBatch();

    PartitionBatch(final int partition)
    {
        this.partition = partition;
    }

    /** @return the partition this batch writes to. */
    public int partition()
    {
        return partition;
    }

    /**
     * @param key   key within the partition (its first byte is the key space by convention).
     * @param value new value.
     * @return this.
     */
    public PartitionBatch put(final byte[] key, final byte[] value)
    {
        try
        {
            batch.put(Keys.partitionKey(partition, key), value);
            return this;
        }
        catch (final RocksDBException ex)
        {
            throw new StoreException("batch put failed", ex);
        }
    }

    /**
     * @param key key within the partition.
     * @return this.
     */
    public PartitionBatch delete(final byte[] key)
    {
        try
        {
            batch.delete(Keys.partitionKey(partition, key));
            return this;
        }
        catch (final RocksDBException ex)
        {
            throw new StoreException("batch delete failed", ex);
        }
    }

    /** @return writes in this batch. */
    public int count()
    {
        return batch.count();
    }

    WriteBatch writeBatch()
    {
        return batch;
    }

    public void close()
    {
        batch.close();
    }
}
