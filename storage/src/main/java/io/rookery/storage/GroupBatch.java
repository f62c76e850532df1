package io.rookery.storage;

import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/**
 * Writes to one Raft group's key range, committed together and atomically with the index of the
 * log entry they come from ({@link NodeStore#commit}). The writes of one entry may touch any of the
 * group's partitions and the group's own records. Operations take effect in the order they were
 * added, so a partition cleared and then written holds exactly the later writes.
 * Not thread-safe; close when done.
 */
public final class GroupBatch implements AutoCloseable
{
    private final long group;
    private final int partitionCount;
    private final WriteBatch batch = new WriteBatch();

    GroupBatch(final long group, final int partitionCount)
    {
        this.group = group;
        this.partitionCount = partitionCount;
    }

    /** @return the group whose range this batch writes to. */
    public long group()
    {
        return group;
    }

    /**
     * @param partition a partition of the group.
     * @param key       key within the partition (its first byte is the key space by convention).
     * @param value     new value.
     * @return this.
     */
    public GroupBatch put(final int partition, final byte[] key, final byte[] value)
    {
        checkPartition(partition);
        try
        {
            batch.put(Keys.fullKey(group, partition, key), value);
            return this;
        }
        catch (final RocksDBException ex)
        {
            throw new StoreException("batch put failed", ex);
        }
    }

    /**
     * @param partition a partition of the group.
     * @param key       key within the partition.
     * @return this.
     */
    public GroupBatch delete(final int partition, final byte[] key)
    {
        checkPartition(partition);
        try
        {
            batch.delete(Keys.fullKey(group, partition, key));
            return this;
        }
        catch (final RocksDBException ex)
        {
            throw new StoreException("batch delete failed", ex);
        }
    }

    /**
     * Deletes everything the group holds of a partition, then lets later writes of this batch refill it.
     *
     * @param partition a partition of the group.
     * @return this.
     */
    public GroupBatch clearPartition(final int partition)
    {
        checkPartition(partition);
        try
        {
            batch.deleteRange(Keys.partitionStart(group, partition), Keys.partitionEnd(group, partition));
            return this;
        }
        catch (final RocksDBException ex)
        {
            throw new StoreException("batch range delete failed", ex);
        }
    }

    /**
     * @param key   key among the group's own records (key space 1..255).
     * @param value new value.
     * @return this.
     */
    public GroupBatch putMeta(final byte[] key, final byte[] value)
    {
        try
        {
            batch.put(Keys.fullKey(group, Keys.META_PARTITION, key), value);
            return this;
        }
        catch (final RocksDBException ex)
        {
            throw new StoreException("batch put failed", ex);
        }
    }

    /**
     * @param key key among the group's own records.
     * @return this.
     */
    public GroupBatch deleteMeta(final byte[] key)
    {
        try
        {
            batch.delete(Keys.fullKey(group, Keys.META_PARTITION, key));
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

    private void checkPartition(final int partition)
    {
        if (partition < 0 || partition >= partitionCount)
        {
            throw new IllegalArgumentException("partition " + partition + " outside [0, " + partitionCount + ")");
        }
    }
}
