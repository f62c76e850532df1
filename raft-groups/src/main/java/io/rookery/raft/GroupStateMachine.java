package io.rookery.raft;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import io.rookery.storage.AppliedIndex;
import io.rookery.storage.GroupBatch;
import io.rookery.storage.NodeStore;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
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
 * The replicated state of one Raft group: its key range in the node's {@link NodeStore}, holding the
 * partitions it owns (or is handing over), its name and its side of every partition's ownership.
 * <p>
 * Applying an entry writes its batch, its control steps and its index in one RocksDB write; an
 * entry at or below the stored index was applied before (Ratis replays the log from the last
 * snapshot on restart) and is skipped. An entry computed by a leader in another term than the one
 * it was appended in is fenced: its index is recorded, nothing else. A write to a partition the
 * group does not own (at that point of the log) is dropped and counted: the leader never makes one,
 * so a count above zero is a bug to look at, and dropping it keeps a handed-over range unchanged.
 * <p>
 * Snapshots are SST files of the group's whole range, named the Ratis way so Ratis can ship them to
 * replicas that fell behind, and installed by ingesting them. The latest snapshot is kept here and
 * read from disk only at start and after an install: Ratis asks for it on every entry a follower
 * receives, and {@code SimpleStateMachineStorage} would list its directory each time.
 */
final class GroupStateMachine extends BaseStateMachine
{
    static final byte RESULT_APPLIED = 1;
    static final byte RESULT_FENCED = 2;
    static final byte RESULT_REPLAYED = 3;
    static final byte READ_MISSING = 0;
    static final byte READ_FOUND = 1;
    static final byte READ_NOT_OWNER = 2;
    static final byte SCAN_PAGE = 3;

    private static final Logger LOG = LoggerFactory.getLogger(GroupStateMachine.class);
    private static final byte RECORDS = 1;
    private static final byte OWNERSHIP = 2;
    private static final byte[] NAME_KEY = {RECORDS, 'n'};
    private static final byte[] RETIRED_KEY = {RECORDS, 'r'};

    private final long group;
    private final NodeStore store;
    private final GroupListener listener;
    private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
    private final AtomicReference<SingleFileSnapshotInfo> latestSnapshot = new AtomicReference<>();
    private final Map<Integer, Ownership> ownership = new ConcurrentHashMap<>();
    private final AtomicLong snapshotsTaken = new AtomicLong();
    private final AtomicLong snapshotsInstalled = new AtomicLong();
    private final AtomicLong fencedEntries = new AtomicLong();
    private final AtomicLong droppedWrites = new AtomicLong();
    private volatile String name;
    private volatile boolean retired;
    private volatile long lastSnapshotBytes;
    private volatile long lastSnapshotNanos;
    private volatile boolean keepRangeOnRemove;

    GroupStateMachine(final long group, final NodeStore store, final GroupListener listener)
    {
        this.group = group;
        this.store = store;
        this.listener = listener;
    }

    long group()
    {
        return group;
    }

    /** @return the group's name once its genesis is applied, else null. */
    String name()
    {
        return name;
    }

    boolean retired()
    {
        return retired;
    }

    /** @return the group's side of every partition it ever held, as applied here. */
    Map<Integer, Ownership> ownership()
    {
        return Map.copyOf(ownership);
    }

    Ownership ownership(final int partition)
    {
        return ownership.get(partition);
    }

    GroupStats stats()
    {
        return new GroupStats(snapshotsTaken.get(), snapshotsInstalled.get(), fencedEntries.get(), droppedWrites.get(),
            lastSnapshotBytes, lastSnapshotNanos);
    }

    public void initialize(final RaftServer server, final RaftGroupId groupId, final RaftStorage raftStorage)
        throws IOException
    {
        super.initialize(server, groupId, raftStorage);
        storage.init(raftStorage);
        recordSnapshot(storage.loadLatestSnapshot());
        getLifeCycle().startAndTransition(() -> restoreFromLatestSnapshot("startup"));
        listener.onReplicaChanged(group, true);
        listener.onOwnershipReloaded(group);
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
        listener.onOwnershipReloaded(group);
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
        final AppliedIndex contained = store.writeSnapshot(group, tmp);
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
        LOG.info("snapshot taken group={} at={} bytes={} ms={}", label(), last, target.length(),
            lastSnapshotNanos / 1_000_000);
        return last.getIndex();
    }

    public CompletableFuture<Message> applyTransaction(final TransactionContext trx)
    {
        final LogEntryProto entry = trx.getLogEntry();
        final long term = entry.getTerm();
        final long index = entry.getIndex();

        byte result;
        if (index <= store.appliedIndex(group).index())
        {
            result = RESULT_REPLAYED;
        }
        else
        {
            final byte[] bytes = entry.getStateMachineLogEntry().getLogData().toByteArray();
            try (GroupBatch batch = store.newBatch(group))
            {
                final Applier applier = new Applier(batch, term);
                final long leaderTerm = LogEntry.decode(bytes, applier);
                if (leaderTerm == term)
                {
                    store.commit(batch, term, index);
                    applier.publish();
                    result = RESULT_APPLIED;
                }
                else
                {
                    try (GroupBatch empty = store.newBatch(group))
                    {
                        store.commit(empty, term, index);
                    }
                    fencedEntries.incrementAndGet();
                    LOG.warn("fenced entry group={} index={} computedInTerm={} appendedInTerm={}",
                        label(), index, leaderTerm, term);
                    result = RESULT_FENCED;
                }
            }
        }
        updateLastAppliedTermIndex(term, index);
        return CompletableFuture.completedFuture(Message.valueOf(UnsafeByteOperations.unsafeWrap(new byte[] {result})));
    }

    public CompletableFuture<Message> query(final Message request)
    {
        try
        {
            final Object query = ReadKeys.decodeQuery(request.getContent().toByteArray());
            if (query instanceof ReadKeys.Scan scan)
            {
                return CompletableFuture.completedFuture(Message.valueOf(UnsafeByteOperations.unsafeWrap(scan(scan))));
            }
            final ReadKeys.Read read = (ReadKeys.Read)query;
            final Ownership owner = ownership.get(read.partition());
            if (owner == null || !owner.owned())
            {
                return CompletableFuture.completedFuture(
                    Message.valueOf(UnsafeByteOperations.unsafeWrap(new byte[] {READ_NOT_OWNER})));
            }
            final byte[] value = store.get(group, read.partition(), read.key());
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

    /**
     * @return {@link #SCAN_PAGE}, whether more keys follow, the pair count and the pairs (lengths
     * first); or {@link #READ_NOT_OWNER} alone when the group does not own the partition.
     */
    private byte[] scan(final ReadKeys.Scan scan)
    {
        final Ownership owner = ownership.get(scan.partition());
        if (owner == null || !owner.owned())
        {
            return new byte[] {READ_NOT_OWNER};
        }
        final java.util.List<byte[][]> pairs = new java.util.ArrayList<>();
        final long[] bytes = {0};
        final boolean[] more = {false};
        store.scan(group, scan.partition(), scan.prefix(), scan.startAfter(), (key, value) ->
        {
            if (pairs.size() >= scan.limit() || bytes[0] >= scan.maxBytes())
            {
                more[0] = true;
                return false;
            }
            pairs.add(new byte[][] {key, value});
            bytes[0] += key.length + value.length;
            return true;
        });
        final java.nio.ByteBuffer reply = java.nio.ByteBuffer.allocate(
            (int)(1 + 1 + 4 + 8L * pairs.size() + bytes[0]));
        reply.put(SCAN_PAGE).put((byte)(more[0] ? 1 : 0)).putInt(pairs.size());
        for (final byte[][] pair : pairs)
        {
            reply.putInt(pair[0].length).put(pair[0]).putInt(pair[1].length).put(pair[1]);
        }
        return reply.array();
    }

    public void notifyLeaderChanged(final RaftGroupMemberId groupMemberId, final RaftPeerId newLeaderId)
    {
        listener.onLeaderChanged(group, newLeaderId == null ? null : newLeaderId.toString());
    }

    public void notifyLeaderReady()
    {
        listener.onLeaderReady(group);
    }

    public void notifyServerShutdown(final RoleInfoProto roleInfo, final boolean allServer)
    {
        if (!allServer)
        {
            // Ratis closed this one division by itself: typically a replica that stood for election
            // while its configuration did not yet name it. The placement loop reopens it.
            LOG.warn("replica closed by Ratis group={} role={}; it is reopened from its log", label(),
                roleInfo.getRole());
        }
    }

    public void notifyGroupRemove()
    {
        if (keepRangeOnRemove)
        {
            LOG.info("replica closed to be reopened group={}; its key range is kept", label());
        }
        else
        {
            // This node no longer holds a replica: its copy of the range would only go stale.
            store.clearGroup(group);
            ownership.clear();
            LOG.info("replica removed group={}; its key range was cleared", label());
        }
        listener.onReplicaChanged(group, false);
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
        final AppliedIndex applied = store.appliedIndex(group);
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
                throw new IllegalStateException("snapshot " + file + " of group " + label() + " is corrupt", ex);
            }
            final AppliedIndex installed = store.installSnapshot(group, file);
            LOG.info("group={} restored from snapshot ({}) file={} appliedNow={}", label(), why,
                file.getFileName(), installed);
        }
        if (snapshot != null)
        {
            // Ratis resumes applying after the snapshot index; start our own bookkeeping there too.
            updateLastAppliedTermIndex(snapshot.getTermIndex());
        }
        loadRecords();
    }

    void loadRecords()
    {
        final byte[] storedName = store.getMeta(group, NAME_KEY);
        name = storedName == null ? null : new String(storedName, StandardCharsets.UTF_8);
        retired = store.getMeta(group, RETIRED_KEY) != null;
        ownership.clear();
        store.scanMeta(group, new byte[] {OWNERSHIP}, (key, value) ->
        {
            ownership.put(((key[1] & 0xFF) << 8) | (key[2] & 0xFF), Ownership.decode(value));
            return true;
        });
    }

    private String label()
    {
        return name != null ? name : GroupKeys.hex(group);
    }

    private static byte[] ownershipKey(final int partition)
    {
        return new byte[] {OWNERSHIP, (byte)(partition >>> 8), (byte)partition};
    }

    /**
     * Applies one entry's content to a batch, deciding each control step against the ownership as it
     * stands at that point of the entry; the changes become visible only once the batch is committed.
     */
    private final class Applier implements LogEntry.Visitor
    {
        private final GroupBatch batch;
        private final long entryTerm;
        private final Map<Integer, Ownership> changes = new HashMap<>();
        private boolean fenced;
        private String newName;
        private boolean newlyRetired;

        Applier(final GroupBatch batch, final long entryTerm)
        {
            this.batch = batch;
            this.entryTerm = entryTerm;
        }

        public void begin(final long leaderTerm)
        {
            fenced = leaderTerm != entryTerm;
        }

        public void put(final int partition, final byte[] key, final byte[] value)
        {
            if (!fenced && ownsForWrites(partition))
            {
                batch.put(partition, key, value);
            }
        }

        public void delete(final int partition, final byte[] key)
        {
            if (!fenced && ownsForWrites(partition))
            {
                batch.delete(partition, key);
            }
        }

        public void control(final LogEntry.Control c)
        {
            if (fenced)
            {
                return;
            }
            final Ownership current = current(c.partition());
            switch (c.type())
            {
                case GENESIS -> genesis(LogEntry.Genesis.decode(c.data()));
                case SEAL ->
                {
                    if (current != null && current.owned() && current.epoch() < c.epoch())
                    {
                        change(c.partition(), Ownership.sealed(c.epoch(), c.peerGroup()));
                    }
                }
                case ADOPT -> adopt(c, current);
                case RELEASE ->
                {
                    if (current != null && current.state() == Ownership.State.SEALED && current.epoch() == c.epoch())
                    {
                        batch.clearPartition(c.partition());
                        change(c.partition(), Ownership.released(c.epoch(), current.peerGroup()));
                    }
                }
                case RETIRE ->
                {
                    if (!retired && !newlyRetired && holdsNothing())
                    {
                        newlyRetired = true;
                        batch.putMeta(RETIRED_KEY, new byte[] {1});
                    }
                }
                default -> throw new IllegalStateException("unknown control step " + c.type());
            }
        }

        private void genesis(final LogEntry.Genesis genesis)
        {
            if (name != null || newName != null)
            {
                return;
            }
            newName = genesis.name();
            batch.putMeta(NAME_KEY, newName.getBytes(StandardCharsets.UTF_8));
            for (final int p : genesis.partitions())
            {
                if (current(p) == null && p < store.partitionCount())
                {
                    change(p, Ownership.owned(Ownership.FIRST_EPOCH));
                }
            }
        }

        private void adopt(final LogEntry.Control c, final Ownership current)
        {
            if (retired || newlyRetired || c.partition() >= store.partitionCount())
            {
                return;
            }
            final boolean restart = c.chunk() == 0 && (current == null || current.epoch() < c.epoch() ||
                (current.state() == Ownership.State.ADOPTING && current.epoch() == c.epoch()));
            final boolean next = current != null && current.state() == Ownership.State.ADOPTING &&
                current.epoch() == c.epoch() && current.nextChunk() == c.chunk();
            if (!restart && !next)
            {
                // Older than what the group already holds, or out of order: the source starts over
                // from what the group answers.
                return;
            }
            if (restart)
            {
                batch.clearPartition(c.partition());
            }
            RangeChunks.forEach(c.data(), (key, value) ->
            {
                batch.put(c.partition(), key, value);
                return true;
            });
            change(c.partition(), c.last() ? Ownership.owned(c.epoch()) :
                Ownership.adopting(c.epoch(), c.peerGroup(), c.chunk() + 1));
        }

        private boolean holdsNothing()
        {
            for (final int p : ownership.keySet())
            {
                if (current(p).state() != Ownership.State.RELEASED)
                {
                    return false;
                }
            }
            for (final Map.Entry<Integer, Ownership> change : changes.entrySet())
            {
                if (change.getValue().state() != Ownership.State.RELEASED)
                {
                    return false;
                }
            }
            return true;
        }

        private boolean ownsForWrites(final int partition)
        {
            final Ownership owner = ownership.get(partition);
            if (owner != null && owner.owned())
            {
                return true;
            }
            droppedWrites.incrementAndGet();
            return false;
        }

        private Ownership current(final int partition)
        {
            final Ownership changed = changes.get(partition);
            return changed != null ? changed : ownership.get(partition);
        }

        private void change(final int partition, final Ownership next)
        {
            changes.put(partition, next);
            batch.putMeta(ownershipKey(partition), next.encode());
        }

        /** After the commit: makes the entry's changes visible and tells the listener. */
        void publish()
        {
            if (newName != null)
            {
                name = newName;
            }
            if (newlyRetired)
            {
                retired = true;
                LOG.info("group={} retired", label());
            }
            for (final Map.Entry<Integer, Ownership> change : changes.entrySet())
            {
                ownership.put(change.getKey(), change.getValue());
                listener.onOwnershipChanged(group, change.getKey(), change.getValue());
            }
        }
    }
}
