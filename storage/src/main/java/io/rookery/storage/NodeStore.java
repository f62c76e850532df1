package io.rookery.storage;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLongArray;

import org.rocksdb.CompressionType;
import org.rocksdb.EnvOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.IngestExternalFileOptions;
import org.rocksdb.InfoLogLevel;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.Snapshot;
import org.rocksdb.SstFileWriter;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one RocksDB of a node. Every partition is a key range ({@link Keys}); each committed Raft
 * entry arrives as a {@link PartitionBatch} written together with the entry's index, so replaying
 * an entry that was already applied is recognised and skipped.
 * <p>
 * Writes are not fsynced: the Raft log is the durable record and anything RocksDB loses in an
 * operating-system crash is re-applied from it on restart. The log is only purged behind a
 * snapshot, and a snapshot file is synced before it is reported.
 * <p>
 * Thread-safety: reads from any thread. Commits to one partition must come from one thread at a
 * time (Ratis applies a group's entries in order on one thread); different partitions may commit
 * concurrently.
 */
public final class NodeStore implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(NodeStore.class);

    static
    {
        RocksDB.loadLibrary();
    }

    private final Context ctx;
    private final Options options;
    private final WriteOptions writeOptions;
    private final RocksDB db;
    private final AtomicLongArray appliedIndex;
    private final AtomicLongArray appliedTerm;
    private volatile boolean closed;

    private NodeStore(final Context ctx)
    {
        this.ctx = ctx;
        Options options = null;
        WriteOptions writeOptions = null;
        RocksDB db = null;
        try
        {
            Files.createDirectories(ctx.directory());
            options = new Options()
                .setCreateIfMissing(true)
                .setCompressionType(CompressionType.LZ4_COMPRESSION)
                .setWriteBufferSize(ctx.writeBufferBytes())
                .setMaxBackgroundJobs(2)
                .setKeepLogFileNum(2)
                .setInfoLogLevel(InfoLogLevel.WARN_LEVEL);
            writeOptions = new WriteOptions().setSync(false);
            db = RocksDB.open(options, ctx.directory().toString());
        }
        catch (final Exception ex)
        {
            closeQuietly(db);
            closeQuietly(writeOptions);
            closeQuietly(options);
            throw new StoreException("cannot open store at " + ctx.directory(), ex);
        }
        this.options = options;
        this.writeOptions = writeOptions;
        this.db = db;
        this.appliedIndex = new AtomicLongArray(ctx.partitionCount());
        this.appliedTerm = new AtomicLongArray(ctx.partitionCount());
        for (int p = 0; p < ctx.partitionCount(); p++)
        {
            reloadAppliedIndex(p);
        }
    }

    /**
     * Opens (creating if needed) the store.
     *
     * @param ctx settings; {@link Context#conclude()} is called here.
     * @return the open store.
     */
    public static NodeStore open(final Context ctx)
    {
        ctx.conclude();
        return new NodeStore(ctx);
    }

    /** @return number of partitions. */
    public int partitionCount()
    {
        return ctx.partitionCount();
    }

    /**
     * @param partition a partition.
     * @param key       key within the partition.
     * @return the committed value, or null.
     */
    public byte[] get(final int partition, final byte[] key)
    {
        try
        {
            return db.get(Keys.partitionKey(partition, key));
        }
        catch (final RocksDBException ex)
        {
            throw new StoreException("get failed in partition " + partition, ex);
        }
    }

    /**
     * @param partition a partition.
     * @return index and term of the last entry applied to it.
     */
    public AppliedIndex appliedIndex(final int partition)
    {
        return new AppliedIndex(appliedTerm.get(partition), appliedIndex.get(partition));
    }

    /**
     * @param partition the partition to write to.
     * @return an empty batch; fill it, then {@link #commit} it.
     */
    public PartitionBatch newBatch(final int partition)
    {
        checkPartition(partition);
        return new PartitionBatch(partition);
    }

    /**
     * Writes the batch and the entry's position atomically, unless the entry was already applied.
     *
     * @param batch writes of the entry.
     * @param term  term of the entry.
     * @param index index of the entry.
     * @return true when written, false when the entry had already been applied (idempotent replay).
     */
    public boolean commit(final PartitionBatch batch, final long term, final long index)
    {
        final int partition = batch.partition();
        if (index <= appliedIndex.get(partition))
        {
            return false;
        }
        try
        {
            batch.writeBatch().put(
                Keys.partitionKey(partition, Keys.APPLIED_INDEX_KEY), encodeApplied(term, index));
            db.write(writeOptions, batch.writeBatch());
        }
        catch (final RocksDBException ex)
        {
            throw new StoreException("commit of entry " + index + " failed in partition " + partition, ex);
        }
        appliedTerm.set(partition, term);
        appliedIndex.set(partition, index);
        return true;
    }

    /**
     * Visits the committed entries of a partition whose key starts with {@code prefix}, in key order.
     *
     * @param partition a partition.
     * @param prefix    key prefix within the partition (at least the key space byte).
     * @param visitor   receives each key (within the partition) and value; returns false to stop.
     */
    public void scan(final int partition, final byte[] prefix, final Visitor visitor)
    {
        final byte[] start = Keys.partitionKey(partition, prefix);
        final byte[] end = prefixEnd(start);
        try (Slice upper = end == null ? null : new Slice(end);
            ReadOptions readOptions = new ReadOptions().setIterateUpperBound(upper);
            RocksIterator it = db.newIterator(readOptions))
        {
            for (it.seek(start); it.isValid(); it.next())
            {
                if (!visitor.visit(Keys.stripPartition(it.key()), it.value()))
                {
                    break;
                }
            }
            it.status();
        }
        catch (final RocksDBException ex)
        {
            throw new StoreException("scan failed in partition " + partition, ex);
        }
    }

    /**
     * Writes a partition's whole key range, as of one consistent point, to an SST file.
     *
     * @param partition a partition.
     * @param file      the SST file to create; its parent must exist.
     * @return the applied index contained in the file, or {@link AppliedIndex#INITIAL} (and no
     * file) when nothing was ever applied to the partition.
     */
    public AppliedIndex writeSnapshot(final int partition, final Path file)
    {
        final Snapshot snapshot = db.getSnapshot();
        try (Slice upper = new Slice(Keys.partitionEnd(partition));
            ReadOptions readOptions = new ReadOptions().setSnapshot(snapshot).setIterateUpperBound(upper);
            RocksIterator it = db.newIterator(readOptions);
            EnvOptions envOptions = new EnvOptions();
            Options sstOptions = new Options().setCompressionType(CompressionType.LZ4_COMPRESSION))
        {
            final byte[] appliedBytes = db.get(readOptions, Keys.partitionKey(partition, Keys.APPLIED_INDEX_KEY));
            if (appliedBytes == null)
            {
                return AppliedIndex.INITIAL;
            }
            final AppliedIndex applied = decodeApplied(appliedBytes);
            try (SstFileWriter writer = new SstFileWriter(envOptions, sstOptions))
            {
                writer.open(file.toString());
                for (it.seek(Keys.partitionStart(partition)); it.isValid(); it.next())
                {
                    writer.put(it.key(), it.value());
                }
                it.status();
                writer.finish();
            }
            return applied;
        }
        catch (final RocksDBException ex)
        {
            throw new StoreException("snapshot of partition " + partition + " failed", ex);
        }
        finally
        {
            db.releaseSnapshot(snapshot);
            snapshot.close();
        }
    }

    /**
     * Replaces a partition's whole key range with the content of an SST file written by
     * {@link #writeSnapshot}.
     *
     * @param partition a partition.
     * @param file      the SST file; it is not modified.
     * @return the applied index the partition now has.
     */
    public AppliedIndex installSnapshot(final int partition, final Path file)
    {
        try (IngestExternalFileOptions ingest = new IngestExternalFileOptions()
            .setMoveFiles(false)
            .setSnapshotConsistency(true)
            .setAllowGlobalSeqNo(true)
            .setAllowBlockingFlush(true))
        {
            db.deleteRange(writeOptions, Keys.partitionStart(partition), Keys.partitionEnd(partition));
            db.ingestExternalFile(List.of(file.toString()), ingest);
        }
        catch (final RocksDBException ex)
        {
            throw new StoreException("install of snapshot " + file + " into partition " + partition + " failed", ex);
        }
        reloadAppliedIndex(partition);
        LOG.info("installed snapshot partition={} applied={}", partition, appliedIndex(partition));
        return appliedIndex(partition);
    }

    /**
     * Deletes a partition's whole key range (the node no longer hosts a replica of it).
     *
     * @param partition a partition.
     */
    public void clearPartition(final int partition)
    {
        try
        {
            db.deleteRange(writeOptions, Keys.partitionStart(partition), Keys.partitionEnd(partition));
        }
        catch (final RocksDBException ex)
        {
            throw new StoreException("clear of partition " + partition + " failed", ex);
        }
        reloadAppliedIndex(partition);
    }

    /**
     * Flushes memtables to disk.
     */
    public void flush()
    {
        try (FlushOptions flush = new FlushOptions().setWaitForFlush(true))
        {
            db.flush(flush);
        }
        catch (final RocksDBException ex)
        {
            throw new StoreException("flush failed", ex);
        }
    }

    /**
     * @return approximate bytes of live data on disk.
     */
    public long approximateSizeBytes()
    {
        try
        {
            return db.getLongProperty("rocksdb.total-sst-files-size") +
                db.getLongProperty("rocksdb.cur-size-all-mem-tables");
        }
        catch (final RocksDBException ex)
        {
            return -1;
        }
    }

    /** @return the store's directory. */
    public Path directory()
    {
        return ctx.directory();
    }

    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        try
        {
            db.syncWal();
        }
        catch (final RocksDBException ex)
        {
            LOG.warn("WAL sync on close failed", ex);
        }
        db.close();
        writeOptions.close();
        options.close();
    }

    private void reloadAppliedIndex(final int partition)
    {
        final byte[] bytes = get(partition, Keys.APPLIED_INDEX_KEY);
        final AppliedIndex applied = bytes == null ? AppliedIndex.INITIAL : decodeApplied(bytes);
        appliedTerm.set(partition, applied.term());
        appliedIndex.set(partition, applied.index());
    }

    private void checkPartition(final int partition)
    {
        if (partition < 0 || partition >= ctx.partitionCount())
        {
            throw new IllegalArgumentException("partition " + partition + " outside [0, " + ctx.partitionCount() + ")");
        }
    }

    private static byte[] encodeApplied(final long term, final long index)
    {
        return ByteBuffer.allocate(16).putLong(term).putLong(index).array();
    }

    private static AppliedIndex decodeApplied(final byte[] bytes)
    {
        final ByteBuffer buffer = ByteBuffer.wrap(bytes);
        return new AppliedIndex(buffer.getLong(), buffer.getLong());
    }

    private static byte[] prefixEnd(final byte[] prefix)
    {
        final byte[] end = prefix.clone();
        for (int i = end.length - 1; i >= 0; i--)
        {
            if (end[i] != (byte)0xFF)
            {
                end[i]++;
                final byte[] trimmed = new byte[i + 1];
                System.arraycopy(end, 0, trimmed, 0, i + 1);
                return trimmed;
            }
        }
        return null;
    }

    private static void closeQuietly(final AutoCloseable closeable)
    {
        if (closeable != null)
        {
            try
            {
                closeable.close();
            }
            catch (final Exception ex)
            {
                LOG.debug("close failed", ex);
            }
        }
    }

    /**
     * Receives entries of a {@link #scan}.
     */
    @FunctionalInterface
    public interface Visitor
    {
        /**
         * @param key   key within the partition.
         * @param value committed value.
         * @return true to continue, false to stop.
         */
        boolean visit(byte[] key, byte[] value);
    }

    /**
     * Settings of the store.
     */
    public static final class Context
    {
        private Path directory;
        private int partitionCount = 16;
        private long writeBufferBytes = 16L * 1024 * 1024;

        /**
         * Fails fast naming the first bad setting.
         *
         * @return this.
         */
        public Context conclude()
        {
            Objects.requireNonNull(directory, "store.directory must be set");
            if (partitionCount < 1 || partitionCount > 65535)
            {
                throw new IllegalArgumentException("store.partitionCount out of range: " + partitionCount);
            }
            if (writeBufferBytes < 1024 * 1024)
            {
                throw new IllegalArgumentException("store.writeBufferBytes must be >= 1 MiB");
            }
            return this;
        }

        /** @return directory of the RocksDB. */
        public Path directory()
        {
            return directory;
        }

        /**
         * @param directory of the RocksDB, created if missing.
         * @return this.
         */
        public Context directory(final Path directory)
        {
            this.directory = directory;
            return this;
        }

        /** @return number of partitions. */
        public int partitionCount()
        {
            return partitionCount;
        }

        /**
         * @param count number of partitions (default 16).
         * @return this.
         */
        public Context partitionCount(final int count)
        {
            this.partitionCount = count;
            return this;
        }

        /** @return memtable size. */
        public long writeBufferBytes()
        {
            return writeBufferBytes;
        }

        /**
         * @param bytes memtable size (default 16 MiB).
         * @return this.
         */
        public Context writeBufferBytes(final long bytes)
        {
            this.writeBufferBytes = bytes;
            return this;
        }
    }
}
