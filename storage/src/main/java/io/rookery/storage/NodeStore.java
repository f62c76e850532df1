package io.rookery.storage;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

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
 * The one RocksDB of a node. Every Raft group this node holds a replica of is a key range
 * ({@link Keys}), and every partition of the group a sub-range of it; each committed Raft entry
 * arrives as a {@link GroupBatch} written together with the entry's index, so replaying an entry
 * that was already applied is recognised and skipped.
 * <p>
 * Writes are not fsynced: the Raft log is the durable record and anything RocksDB loses in an
 * operating-system crash is re-applied from it on restart. The log is only purged behind a
 * snapshot, and a snapshot file is synced before it is reported.
 * <p>
 * Thread-safety: reads from any thread. Commits to one group must come from one thread at a
 * time (Ratis applies a group's entries in order on one thread); different groups may commit
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
    private final Map<Long, AppliedIndex> applied = new ConcurrentHashMap<>();
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
     * @param group     a group's key.
     * @param partition a partition of the group.
     * @param key       key within the partition.
     * @return the committed value, or null.
     */
    public byte[] get(final long group, final int partition, final byte[] key)
    {
        try
        {
            return db.get(Keys.fullKey(group, partition, key));
        }
        catch (final RocksDBException ex)
        {
            throw new StoreException("get failed in partition " + partition, ex);
        }
    }

    /**
     * @param group a group's key.
     * @param key   key among the group's own records.
     * @return the committed value, or null.
     */
    public byte[] getMeta(final long group, final byte[] key)
    {
        return get(group, Keys.META_PARTITION, key);
    }

    /**
     * @param group a group's key.
     * @return index and term of the last entry applied to the group's range.
     */
    public AppliedIndex appliedIndex(final long group)
    {
        return applied.computeIfAbsent(group, this::loadAppliedIndex);
    }

    /**
     * @param group the group to write to.
     * @return an empty batch; fill it, then {@link #commit} it.
     */
    public GroupBatch newBatch(final long group)
    {
        return new GroupBatch(group, ctx.partitionCount());
    }

    /**
     * Writes the batch and the entry's position atomically, unless the entry was already applied.
     *
     * @param batch writes of the entry.
     * @param term  term of the entry.
     * @param index index of the entry.
     * @return true when written, false when the entry had already been applied (idempotent replay).
     */
    public boolean commit(final GroupBatch batch, final long term, final long index)
    {
        final long group = batch.group();
        if (index <= appliedIndex(group).index())
        {
            return false;
        }
        try
        {
            batch.writeBatch().put(Keys.fullKey(group, Keys.META_PARTITION, Keys.APPLIED_INDEX_KEY),
                encodeApplied(term, index));
            db.write(writeOptions, batch.writeBatch());
        }
        catch (final RocksDBException ex)
        {
            throw new StoreException("commit of entry " + index + " failed in group " + Long.toHexString(group), ex);
        }
        applied.put(group, new AppliedIndex(term, index));
        return true;
    }

    /**
     * Visits the committed entries of one partition of a group whose key starts with {@code prefix},
     * in key order.
     *
     * @param group     a group's key.
     * @param partition a partition.
     * @param prefix    key prefix within the partition (empty for the whole sub-range).
     * @param visitor   receives each key (within the partition) and value; returns false to stop.
     */
    public void scan(final long group, final int partition, final byte[] prefix, final Visitor visitor)
    {
        scan(group, partition, prefix, null, visitor);
    }

    /**
     * Visits the committed entries of one partition of a group whose key starts with {@code prefix}
     * and comes after {@code startAfter}, in key order: the next page of a paged scan.
     *
     * @param group      a group's key.
     * @param partition  a partition.
     * @param prefix     key prefix within the partition (empty for the whole sub-range).
     * @param startAfter the last key of the previous page, or null to start at the prefix.
     * @param visitor    receives each key (within the partition) and value; returns false to stop.
     */
    public void scan(final long group, final int partition, final byte[] prefix, final byte[] startAfter,
        final Visitor visitor)
    {
        final byte[] first = Keys.fullKey(group, partition, prefix);
        final byte[] after = startAfter == null ? null : Keys.fullKey(group, partition, startAfter);
        final byte[] start = after != null && Arrays.compareUnsigned(after, first) > 0 ? after : first;
        final byte[] end = prefix.length == 0 ? Keys.partitionEnd(group, partition) : prefixEnd(first);
        try (Slice upper = end == null ? null : new Slice(end);
            ReadOptions readOptions = new ReadOptions().setIterateUpperBound(upper);
            RocksIterator it = db.newIterator(readOptions))
        {
            for (it.seek(start); it.isValid(); it.next())
            {
                final byte[] key = it.key();
                if (after != null && Arrays.equals(key, after))
                {
                    continue;
                }
                if (!visitor.visit(Keys.stripPrefix(key), it.value()))
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
     * Visits the group's own records whose key starts with {@code prefix}, in key order.
     *
     * @param group   a group's key.
     * @param prefix  key prefix among the group's records.
     * @param visitor receives each key and value; returns false to stop.
     */
    public void scanMeta(final long group, final byte[] prefix, final Visitor visitor)
    {
        scan(group, Keys.META_PARTITION, prefix, visitor);
    }

    /**
     * Writes a group's whole key range (every partition it holds and its own records), as of one
     * consistent point, to an SST file.
     *
     * @param group a group's key.
     * @param file  the SST file to create; its parent must exist.
     * @return the applied index contained in the file, or {@link AppliedIndex#INITIAL} (and no
     * file) when nothing was ever applied to the group.
     */
    public AppliedIndex writeSnapshot(final long group, final Path file)
    {
        final Snapshot snapshot = db.getSnapshot();
        try (Slice upper = new Slice(Keys.groupEnd(group));
            ReadOptions readOptions = new ReadOptions().setSnapshot(snapshot).setIterateUpperBound(upper);
            RocksIterator it = db.newIterator(readOptions);
            EnvOptions envOptions = new EnvOptions();
            Options sstOptions = new Options().setCompressionType(CompressionType.LZ4_COMPRESSION))
        {
            final byte[] appliedBytes =
                db.get(readOptions, Keys.fullKey(group, Keys.META_PARTITION, Keys.APPLIED_INDEX_KEY));
            if (appliedBytes == null)
            {
                return AppliedIndex.INITIAL;
            }
            final AppliedIndex contained = decodeApplied(appliedBytes);
            try (SstFileWriter writer = new SstFileWriter(envOptions, sstOptions))
            {
                writer.open(file.toString());
                for (it.seek(Keys.groupStart(group)); it.isValid(); it.next())
                {
                    writer.put(it.key(), it.value());
                }
                it.status();
                writer.finish();
            }
            return contained;
        }
        catch (final RocksDBException ex)
        {
            throw new StoreException("snapshot of group " + Long.toHexString(group) + " failed", ex);
        }
        finally
        {
            db.releaseSnapshot(snapshot);
            snapshot.close();
        }
    }

    /**
     * Replaces a group's whole key range with the content of an SST file written by
     * {@link #writeSnapshot}.
     *
     * @param group a group's key.
     * @param file  the SST file; it is not modified.
     * @return the applied index the group now has.
     */
    public AppliedIndex installSnapshot(final long group, final Path file)
    {
        try (IngestExternalFileOptions ingest = new IngestExternalFileOptions()
            .setMoveFiles(false)
            .setSnapshotConsistency(true)
            .setAllowGlobalSeqNo(true)
            .setAllowBlockingFlush(true))
        {
            db.deleteRange(writeOptions, Keys.groupStart(group), Keys.groupEnd(group));
            db.ingestExternalFile(List.of(file.toString()), ingest);
        }
        catch (final RocksDBException ex)
        {
            throw new StoreException("install of snapshot " + file + " into group " + Long.toHexString(group) +
                " failed", ex);
        }
        applied.put(group, loadAppliedIndex(group));
        LOG.info("installed snapshot group={} applied={}", Long.toHexString(group), appliedIndex(group));
        return appliedIndex(group);
    }

    /**
     * Deletes a group's whole key range (the node no longer holds a replica of it).
     *
     * @param group a group's key.
     */
    public void clearGroup(final long group)
    {
        try
        {
            db.deleteRange(writeOptions, Keys.groupStart(group), Keys.groupEnd(group));
        }
        catch (final RocksDBException ex)
        {
            throw new StoreException("clear of group " + Long.toHexString(group) + " failed", ex);
        }
        applied.put(group, loadAppliedIndex(group));
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

    private AppliedIndex loadAppliedIndex(final long group)
    {
        final byte[] bytes = getMeta(group, Keys.APPLIED_INDEX_KEY);
        return bytes == null ? AppliedIndex.INITIAL : decodeApplied(bytes);
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
        private int partitionCount = 256;
        private long writeBufferBytes = 16L * 1024 * 1024;

        /**
         * Fails fast naming the first bad setting.
         *
         * @return this.
         */
        public Context conclude()
        {
            Objects.requireNonNull(directory, "store.directory must be set");
            if (partitionCount < 1 || partitionCount > Keys.MAX_PARTITIONS)
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
         * @param count number of partitions (default 256).
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
