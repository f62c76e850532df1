package io.rookery.raft;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import io.rookery.storage.AppliedIndex;
import io.rookery.storage.NodeStore;
import io.rookery.storage.PartitionBatch;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.LifeCycle;
import org.apache.ratis.util.MD5FileUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replicated state of one partition: its key range in the node's {@link NodeStore}.
 * <p>
 * Applying an entry writes its batch and its index in one RocksDB write; an entry at or below the
 * stored index was applied before (Ratis replays the log from the last snapshot on restart) and is
 * skipped. An entry computed by a leader in an older term than the one it was appended in is
 * fenced: its index is recorded but its writes are not applied.
 * <p>
 * Snapshots are SST files of the partition's key range, named the Ratis way so Ratis can ship
 * them to replicas that fell behind, and installed by ingesting them.
 * <p>
 * The latest snapshot is kept here and read from disk only at start and after an install. Ratis
 * asks for it on every entry a follower receives, and {@code SimpleStateMachineStorage} answers
 * a replica without snapshot by listing its directory each time (most replicas, for the first
 * 20,000 entries); that listing also throws when a snapshot is recorded while it runs.
 */
final class PartitionStateMachine extends BaseStateMachine
{
    static final byte RESULT_APPLIED = 1;
    static final byte RESULT_FENCED = 2;
    static final byte RESULT_REPLAYED = 3;
    static final byte READ_FOUND = 1;
    static final byte READ_MISSING = 0;

    private static final Logger LOG = LoggerFactory.getLogger(PartitionStateMachine.class);

    private final int partition;
    private final NodeStore store;
    private final PartitionListener listener;
    private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
    private final AtomicReference<SingleFileSnapshotInfo> latestSnapshot = new AtomicReference<>();
    private final AtomicLong snapshotsTaken = new AtomicLong();
    private final AtomicLong snapshotsInstalled = new AtomicLong();
    private final AtomicLong fencedEntries = new AtomicLong();
    private volatile long lastSnapshotBytes;
    private volatile long lastSnapshotNanos;
    private volatile boolean keepRangeOnRemove;

    PartitionStateMachine(final int partition, final NodeStore store, final PartitionListener listener)
    {
        this.partition = partition;
        this.store = store;
        this.listener = listener;
    }

    int partition()
    {
        return partition;
    }

    long snapshotsTaken()
    {
        return snapshotsTaken.get();
    }

    long snapshotsInstalled()
    {
        return snapshotsInstalled.get();
    }

    long fencedEntries()
    {
        return fencedEntries.get();
    }

    long lastSnapshotBytes()
    {
        return lastSnapshotBytes;
    }

    long lastSnapshotNanos()
    {
        return lastSnapshotNanos;
    }

    public void initialize(final RaftServer server, final RaftGroupId groupId, final RaftStorage raftStorage)
        throws IOException
    {
        super.initialize(server, groupId, raftStorage);
        storage.init(raftStorage);
        recordSnapshot(storage.loadLatestSnapshot());
        getLifeCycle().startAndTransition(() -> restoreFromLatestSnapshot("startup"));
        listener.onReplicaChanged(partition, true);
    }

    public synchronized void pause()
    {
        if (getLifeCycle().getCurrentState() == LifeCycle.State.RUNNING)
        {
            getLifeCycle().transition(LifeCycle.State.PAUSING);
            getLifeCycle().transition(LifeCycle.State.PAUSED);
        }
    }

    public synchronized void reinitialize() throws IOException
    {
        // Ratis installed a snapshot from the leader into our state machine directory.
        recordSnapshot(storage.loadLatestSnapshot());
        getLifeCycle().startAndTransition(() -> restoreFromLatestSnapshot("install"));
        snapshotsInstalled.incrementAndGet();
    }

    public StateMachineStorage getStateMachineStorage()
    {
        return storage;
    }

    public SingleFileSnapshotInfo getLatestSnapshot()
    {
        return latestSnapshot.get();
    }

    private void recordSnapshot(final SingleFileSnapshotInfo snapshot)
    {
        if (snapshot != null)
        {
            latestSnapshot.accumulateAndGet(snapshot,
                (previous, next) -> previous == null || next.getIndex() > previous.getIndex() ? next : previous);
        }
    }

    public long takeSnapshot() throws IOException
    {
        final TermIndex last = getLastAppliedTermIndex();
        if (last == null || last.getIndex() <= 0)
        {
            return RaftLog.INVALID_LOG_INDEX;
        }
        final long startNs = System.nanoTime();
        final File target = storage.getSnapshotFile(last.getTerm(), last.getIndex());
        final Path tmp = target.toPath().resolveSibling(target.getName() + ".writing");
        Files.deleteIfExists(tmp);
        // The file holds the store's range as it is now: its own applied index may be ahead of
        // Ratis's (entries skipped on replay); installing it then skips those entries again.
        final AppliedIndex contained = store.writeSnapshot(partition, tmp);
        if (contained.index() == AppliedIndex.NONE)
        {
            return RaftLog.INVALID_LOG_INDEX;
        }
        Files.move(tmp, target.toPath(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        final var md5 = MD5FileUtil.computeAndSaveMd5ForFile(target);
        // Recorded here only: Ratis reads the latest snapshot through getLatestSnapshot(), never the storage's copy.
        recordSnapshot(new SingleFileSnapshotInfo(new FileInfo(target.toPath(), md5), last));
        lastSnapshotBytes = target.length();
        lastSnapshotNanos = System.nanoTime() - startNs;
        snapshotsTaken.incrementAndGet();
        LOG.info("snapshot taken partition={} at={} bytes={} ms={}", partition, last, target.length(),
            lastSnapshotNanos / 1_000_000);
        return last.getIndex();
    }

    public CompletableFuture<Message> applyTransaction(final TransactionContext trx)
    {
        final LogEntryProto entry = trx.getLogEntry();
        final long term = entry.getTerm();
        final long index = entry.getIndex();
        final byte[] bytes = entry.getStateMachineLogEntry().getLogData().toByteArray();

        byte result;
        if (index <= store.appliedIndex(partition).index())
        {
            result = RESULT_REPLAYED;
        }
        else
        {
            try (PartitionBatch batch = store.newBatch(partition))
            {
                final long leaderTerm = LogEntry.decodeInto(bytes, batch);
                if (leaderTerm == term)
                {
                    store.commit(batch, term, index);
                    result = RESULT_APPLIED;
                }
                else
                {
                    try (PartitionBatch empty = store.newBatch(partition))
                    {
                        store.commit(empty, term, index);
                    }
                    fencedEntries.incrementAndGet();
                    LOG.warn("fenced entry partition={} index={} computedInTerm={} appendedInTerm={}",
                        partition, index, leaderTerm, term);
                    result = RESULT_FENCED;
                }
            }
        }
        updateLastAppliedTermIndex(term, index);
        listener.onApplied(partition, index);
        return CompletableFuture.completedFuture(Message.valueOf(UnsafeByteOperations.unsafeWrap(new byte[] {result})));
    }

    public CompletableFuture<Message> query(final Message request)
    {
        try
        {
            final byte[] key = ReadKeys.decode(request.getContent().toByteArray(), partition);
            final byte[] value = store.get(partition, key);
            final ByteString reply = value == null ?
                UnsafeByteOperations.unsafeWrap(new byte[] {READ_MISSING}) :
                ByteString.copyFrom(new byte[] {READ_FOUND}).concat(UnsafeByteOperations.unsafeWrap(value));
            return CompletableFuture.completedFuture(Message.valueOf(reply));
        }
        catch (final RuntimeException ex)
        {
            return CompletableFuture.failedFuture(ex);
        }
    }

    public void notifyLeaderChanged(final RaftGroupMemberId groupMemberId, final RaftPeerId newLeaderId)
    {
        listener.onLeaderChanged(partition, newLeaderId == null ? null : newLeaderId.toString());
    }

    public void notifyLeaderReady()
    {
        listener.onLeaderReady(partition);
    }

    public void notifyGroupRemove()
    {
        if (keepRangeOnRemove)
        {
            LOG.info("replica closed to be reopened partition={}; its key range is kept", partition);
        }
        else
        {
            // This node no longer holds a replica: its copy of the range would only go stale.
            store.clearPartition(partition);
            LOG.info("replica removed partition={}; its key range was cleared", partition);
        }
        listener.onReplicaChanged(partition, false);
    }

    /**
     * The replica is about to be closed only to be opened again, so its key range stays.
     */
    void keepRangeOnRemove()
    {
        keepRangeOnRemove = true;
    }

    private void restoreFromLatestSnapshot(final String why)
    {
        final SingleFileSnapshotInfo snapshot = latestSnapshot.get();
        final AppliedIndex applied = store.appliedIndex(partition);
        if (snapshot != null && snapshot.getIndex() > applied.index())
        {
            final Path file = snapshot.getFile().getPath();
            try
            {
                if (snapshot.getFile().getFileDigest() != null)
                {
                    MD5FileUtil.verifySavedMD5(file.toFile(), snapshot.getFile().getFileDigest());
                }
            }
            catch (final IOException ex)
            {
                throw new IllegalStateException("snapshot " + file + " of partition " + partition + " is corrupt", ex);
            }
            final AppliedIndex installed = store.installSnapshot(partition, file);
            LOG.info("partition={} restored from snapshot ({}) file={} appliedNow={}", partition, why,
                file.getFileName(), installed);
        }
        if (snapshot != null)
        {
            // Ratis resumes applying after the snapshot index; start our own bookkeeping there too.
            updateLastAppliedTermIndex(snapshot.getTermIndex());
        }
    }
}
