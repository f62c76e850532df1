package io.rookery.raft;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.rookery.storage.NodeStore;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcTlsConfig;
import org.apache.ratis.proto.RaftProtos.FollowerInfoProto;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.proto.RaftProtos.ServerRpcProto;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.protocol.exceptions.RaftException;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.LifeCycle;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's Raft server and the groups it holds replicas of (multi-raft: one Ratis server, a few
 * groups, each holding many partitions, R replicas each).
 * <p>
 * This class is the data path: it opens and closes this node's replicas, proposes entries and
 * reads committed keys. Changing a group's members or leader is {@link Reconfiguration}'s.
 * Entries are proposed in-process to the local server, never through a Ratis client, so a
 * group's leader pays no network hop for its own proposals. Reads go through Ratis's read index,
 * so they are linearizable and never served by a stale leader.
 */
public final class RaftGroups implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(RaftGroups.class);
    /** The file in a replica's Ratis directory that says the replica was created at cluster formation. */
    private static final String FORMATION_MARK = "rookery-formed-at-bootstrap";

    private final Context ctx;
    private final RaftPeerId peerId;
    private final Map<Long, GroupStateMachine> machines = new ConcurrentHashMap<>();
    private final ClientId clientId = ClientId.randomId();
    private final AtomicLong callIds = new AtomicLong();
    private final RaftServer server;
    private final Parameters parameters;
    private final Reconfiguration reconfiguration;
    private volatile boolean closed;

    /** @return the Ratis parameters (TLS) every server and client of this node uses. */
    Parameters parameters()
    {
        return parameters;
    }

    private RaftGroups(final Context ctx) throws IOException
    {
        this.ctx = ctx;
        this.peerId = RaftPeerId.valueOf(ctx.nodeId());
        Files.createDirectories(ctx.storageDir());
        this.parameters = new Parameters();
        if (ctx.tlsCertificate() != null)
        {
            // Mutual TLS: a node whose certificate the cluster's CA did not sign is no Raft peer.
            GrpcConfigKeys.TLS.setConf(parameters, new GrpcTlsConfig(ctx.tlsKey().toFile(),
                ctx.tlsCertificate().toFile(), ctx.tlsCa().toFile(), true));
        }
        this.server = RaftServer.newBuilder()
            .setServerId(peerId)
            .setProperties(properties(ctx))
            .setParameters(parameters)
            .setStateMachineRegistry(this::newStateMachine)
            .build();
        server.start();
        this.reconfiguration = new Reconfiguration(this);
        LOG.info("raft server started node={} address={} recoveredGroups={}", ctx.nodeId(), raftAddress(),
            hostedGroups().stream().map(this::label).toList());
    }

    /**
     * Starts the node's Raft server; groups found in the storage directory are recovered.
     *
     * @param ctx settings; {@link Context#conclude()} is called here.
     * @return the running groups.
     * @throws IOException when the server cannot start.
     */
    public static RaftGroups start(final Context ctx) throws IOException
    {
        ctx.conclude();
        return new RaftGroups(ctx);
    }

    /** @return this node's id. */
    public String nodeId()
    {
        return ctx.nodeId();
    }

    /** @return the cluster id. */
    public String clusterId()
    {
        return ctx.clusterId();
    }

    /** @return {@code host:port} of this node's Raft server. */
    public String raftAddress()
    {
        return ctx.host() + ":" + ctx.port();
    }

    /** @return number of partitions. */
    public int partitionCount()
    {
        return ctx.partitionCount();
    }

    /** @return replicas per group. */
    public int replicationFactor()
    {
        return ctx.replicationFactor();
    }

    /** @return changes of members and leaders of the groups. */
    public Reconfiguration reconfiguration()
    {
        return reconfiguration;
    }

    /**
     * @param group a group's key.
     * @return whether this node holds a replica of it.
     */
    public boolean hosts(final long group)
    {
        if (!machines.containsKey(group))
        {
            return false;
        }
        try
        {
            server.getDivision(raftGroupId(group));
            return true;
        }
        catch (final IOException ex)
        {
            // Removed from the server, its state machine not yet told (Ratis closes it first).
            return false;
        }
    }

    /** @return the groups this node holds a replica of, by key. */
    public Set<Long> hostedGroups()
    {
        final Set<Long> hosted = new TreeSet<>();
        for (final RaftGroupId id : server.getGroupIds())
        {
            final long group = GroupKeys.groupKeyOf(ctx.clusterId(), id);
            if (machines.containsKey(group))
            {
                hosted.add(group);
            }
        }
        return hosted;
    }

    /**
     * @param group a group's key.
     * @return the group's name (its home node) once its genesis is applied here, else null.
     */
    public String name(final long group)
    {
        final GroupStateMachine machine = machines.get(group);
        return machine == null ? null : machine.name();
    }

    /**
     * @param group a group's key.
     * @return whether the group, as applied here, has retired.
     */
    public boolean retired(final long group)
    {
        final GroupStateMachine machine = machines.get(group);
        return machine != null && machine.retired();
    }

    /**
     * @param group a group's key.
     * @return the group's side of every partition it ever held, as applied here; empty when not hosted.
     */
    public Map<Integer, Ownership> ownership(final long group)
    {
        final GroupStateMachine machine = machines.get(group);
        return machine == null ? Map.of() : machine.ownership();
    }

    /**
     * @param group     a group's key.
     * @param partition a partition.
     * @return the group's side of the partition, as applied here, or null.
     */
    public Ownership ownership(final long group, final int partition)
    {
        final GroupStateMachine machine = machines.get(group);
        return machine == null ? null : machine.ownership(partition);
    }

    /**
     * @param group a group's key.
     * @return counters of the group's state machine here, or null when not hosted.
     */
    public GroupStats stats(final long group)
    {
        final GroupStateMachine machine = machines.get(group);
        return machine == null ? null : machine.stats();
    }

    /**
     * Creates, on this node, the replicas of the initial groups (one per initial member, named after
     * it) that placement over the initial members assigns to it. Every initial member does the same,
     * so each group comes up with the same membership everywhere. Replicas that already exist are
     * left alone.
     *
     * @param initialMembers node id to Raft address of every initial member, this node included.
     * @return keys of the groups whose replica was created by this call.
     * @throws IOException when Ratis refuses to add a group.
     */
    public List<Long> bootstrap(final Map<String, String> initialMembers) throws IOException
    {
        if (!initialMembers.containsKey(ctx.nodeId()))
        {
            throw new IllegalArgumentException("initial members " + initialMembers.keySet() + " do not include " +
                ctx.nodeId());
        }
        final List<Long> created = new ArrayList<>();
        for (final String home : initialMembers.keySet())
        {
            final long group = GroupKeys.of(home);
            final List<String> replicas =
                Placement.replicas(home, initialMembers.keySet(), group, ctx.replicationFactor());
            if (!replicas.contains(ctx.nodeId()) || hosts(group))
            {
                continue;
            }
            final Map<String, String> peers = new LinkedHashMap<>();
            for (final String id : replicas)
            {
                peers.put(id, initialMembers.get(id));
            }
            addReplica(group, peers);
            markFormedAtBootstrap(group);
            created.add(group);
        }
        LOG.info("bootstrap node={} created replicas of groups {}", ctx.nodeId(),
            created.stream().map(this::label).toList());
        return created;
    }

    /**
     * Whether this node's replica of a group was created when the cluster formed. Only such a group
     * starts out owning the partitions the initial assignment gives it: a group created later under
     * the same key (its home node came back after the group was retired) starts empty and receives
     * partitions by handoff, or it would claim partitions other groups own. The mark is a file in
     * the replica's own Ratis directory, so it goes wherever the replica's storage goes.
     *
     * @param group a group's key.
     * @return true when the local replica was created by {@link #bootstrap(Map)}.
     */
    public boolean formedAtBootstrap(final long group)
    {
        return Files.exists(formationMark(group));
    }

    private void markFormedAtBootstrap(final long group) throws IOException
    {
        final Path mark = formationMark(group);
        Files.createDirectories(mark.getParent());
        Files.write(mark, new byte[0]);
    }

    private Path formationMark(final long group)
    {
        return ctx.storageDir().resolve(raftGroupId(group).getUuid().toString()).resolve(FORMATION_MARK);
    }

    /**
     * Creates a local replica of a group with the given configuration.
     *
     * @param group the group's key.
     * @param peers node id to Raft address of the group's members.
     * @throws IOException when Ratis refuses.
     */
    public void addReplica(final long group, final Map<String, String> peers) throws IOException
    {
        openLocal(RaftGroup.valueOf(raftGroupId(group), Reconfiguration.peers(peers)), true, "adding group");
    }

    /**
     * Opens this node's replica of a group: a new, empty one ({@code format}), or the one its
     * storage directory already holds.
     */
    void openLocal(final RaftGroup group, final boolean format, final String what) throws IOException
    {
        final RaftClientReply reply = server.groupManagement(
            GroupManagementRequest.newAdd(clientId, peerId, callIds.incrementAndGet(), group, format));
        if (!reply.isSuccess())
        {
            throw new IOException(what + " " + group.getGroupId() + " failed: " + reply.getException());
        }
    }

    /**
     * Closes this node's replica of a group, deleting its storage directory or keeping it.
     */
    void closeLocal(final long group, final boolean delete, final String what) throws IOException
    {
        final RaftClientReply reply = server.groupManagement(GroupManagementRequest.newRemove(
            clientId, peerId, callIds.incrementAndGet(), raftGroupId(group), delete, false));
        if (!reply.isSuccess())
        {
            throw new IOException(what + " " + label(group) + " failed: " + reply.getException());
        }
    }

    /**
     * Proposes an entry to a group through the local server, which must lead it.
     *
     * @param group the group's key.
     * @param entry the encoded {@link LogEntry}.
     * @return the outcome once the entry is committed and applied locally, or known not to be.
     */
    public CompletableFuture<ProposalResult> propose(final long group, final byte[] entry)
    {
        final RaftClientRequest request = RaftClientRequest.newBuilder()
            .setClientId(clientId)
            .setServerId(peerId)
            .setGroupId(raftGroupId(group))
            .setCallId(callIds.incrementAndGet())
            .setMessage(Message.valueOf(UnsafeByteOperations.unsafeWrap(entry)))
            .setType(RaftClientRequest.writeRequestType())
            .setTimeoutMs(ctx.requestTimeout().toMillis())
            .build();
        return submit(request).handle((reply, ex) ->
        {
            if (ex != null)
            {
                return fromFailure(ex);
            }
            if (reply.isSuccess())
            {
                final ByteString content = reply.getMessage().getContent();
                final byte result = content.isEmpty() ? 0 : content.byteAt(0);
                return result == GroupStateMachine.RESULT_FENCED ?
                    new ProposalResult(ProposalResult.Status.FENCED, reply.getLogIndex(), null) :
                    ProposalResult.applied(reply.getLogIndex());
            }
            return fromFailure(reply.getException());
        });
    }

    /**
     * Reads one committed key of a partition, linearizably (Ratis read index), on this node's
     * replica of the group that should own it.
     *
     * @param group     the group's key.
     * @param partition the partition.
     * @param key       key within the partition.
     * @return the outcome; never fails exceptionally.
     */
    public CompletableFuture<ReadResult> read(final long group, final int partition, final byte[] key)
    {
        return readQuery(group, ReadKeys.encode(partition, key), failure -> failure, content ->
        {
            if (content.isEmpty())
            {
                return ReadResult.of(ReadResult.Status.MISSING);
            }
            return switch (content.byteAt(0))
            {
                case GroupStateMachine.READ_FOUND -> ReadResult.found(content.substring(1).toByteArray());
                case GroupStateMachine.READ_NOT_OWNER -> ReadResult.of(ReadResult.Status.NOT_OWNER);
                default -> ReadResult.of(ReadResult.Status.MISSING);
            };
        });
    }

    /**
     * Sends a read-only query to this node's replica of a group as a linearizable Ratis read.
     *
     * @param failed   what to answer when it could not be asked or answered (not led here, timed out...).
     * @param answered what to make of the state machine's answer.
     */
    private <T> CompletableFuture<T> readQuery(final long group, final byte[] message,
        final java.util.function.Function<ReadResult, T> failed,
        final java.util.function.Function<ByteString, T> answered)
    {
        if (!hosts(group))
        {
            return CompletableFuture.completedFuture(failed.apply(ReadResult.notLeader(null)));
        }
        final RaftClientRequest request = RaftClientRequest.newBuilder()
            .setClientId(clientId)
            .setServerId(peerId)
            .setGroupId(raftGroupId(group))
            .setCallId(callIds.incrementAndGet())
            .setMessage(Message.valueOf(UnsafeByteOperations.unsafeWrap(message)))
            .setType(RaftClientRequest.readRequestType())
            .setTimeoutMs(ctx.requestTimeout().toMillis())
            .build();
        return submit(request).handle((reply, ex) ->
        {
            final Throwable failure = ex != null ? ex : reply.isSuccess() ? null : reply.getException();
            return failure != null ? failed.apply(readFailure(failure)) :
                answered.apply(reply.getMessage().getContent());
        });
    }

    /**
     * A linearizable read of the next page of a partition's keys under a prefix, at the group's
     * leader: what every write committed before the call left there.
     *
     * @param group      a group's key.
     * @param partition  a partition the group owns.
     * @param prefix     the prefix the keys start with.
     * @param startAfter the last key of the previous page, or null for the first.
     * @param limit      most pairs in the page.
     * @param maxBytes   the page ends once its keys and values reach this many bytes (a pair that
     *                   starts below it is kept whole).
     * @return the page, or why there is none ({@link ScanPage#status()} other than FOUND).
     */
    public CompletableFuture<ScanPage> scan(final long group, final int partition, final byte[] prefix,
        final byte[] startAfter, final int limit, final int maxBytes)
    {
        return readQuery(group, ReadKeys.encodeScan(partition, prefix, startAfter, limit, maxBytes), ScanPage::of,
            reply ->
            {
                final java.nio.ByteBuffer content = reply.asReadOnlyByteBuffer();
                if (!content.hasRemaining() || content.get() != GroupStateMachine.SCAN_PAGE)
                {
                    return ScanPage.of(ReadResult.of(ReadResult.Status.NOT_OWNER));
                }
                final boolean more = content.get() == 1;
                final int count = content.getInt();
                final java.util.List<byte[][]> pairs = new java.util.ArrayList<>(count);
                for (int i = 0; i < count; i++)
                {
                    final byte[] key = new byte[content.getInt()];
                    content.get(key);
                    final byte[] value = new byte[content.getInt()];
                    content.get(value);
                    pairs.add(new byte[][] {key, value});
                }
                return new ScanPage(ReadResult.Status.FOUND, pairs, more, null, null);
            });
    }

    /**
     * @param group a group's key.
     * @return the term in which this node leads the group and has applied everything committed
     * before it, or -1.
     */
    public long readyLeaderTerm(final long group)
    {
        final DivisionInfo info = info(group);
        if (info == null || !info.isLeader() || !info.isLeaderReady())
        {
            return -1;
        }
        return info.getCurrentTerm();
    }

    /**
     * @param group a group's key.
     * @return whether this node was elected leader of the group but has not yet applied everything
     * committed before its term.
     */
    public boolean leaderAwaitingReadiness(final long group)
    {
        final DivisionInfo info = info(group);
        return info != null && info.isLeader() && !info.isLeaderReady();
    }

    /**
     * @param group a group's key.
     * @return the current term known to this node's replica, or -1 when not hosted.
     */
    public long currentTerm(final long group)
    {
        final DivisionInfo info = info(group);
        return info == null ? -1 : info.getCurrentTerm();
    }

    /**
     * @param group a group's key.
     * @return the leader this node's replica knows of, or null.
     */
    public String leaderOf(final long group)
    {
        final DivisionInfo info = info(group);
        final RaftPeerId leader = info == null ? null : info.getLeaderId();
        return leader == null ? null : leader.toString();
    }

    /**
     * How long this node's follower replica of a group has gone without hearing from a leader.
     * Ratis restarts this clock whenever a replica becomes a follower again, so a follower whose
     * elections fail (a minority side) never shows a silence much longer than an election timeout.
     *
     * @param group a group's key.
     * @return the silence, with the appends the replica counts as still in progress (while there
     * are any, Ratis's election timer does not fire), or null when this node hosts no follower of it.
     */
    public FollowerSilence followerSilence(final long group)
    {
        final DivisionInfo info = info(group);
        if (info == null || !info.isFollower() || info.getLifeCycleState() != LifeCycle.State.RUNNING)
        {
            return null;
        }
        final RoleInfoProto role;
        try
        {
            role = info.getRoleInfoProto();
        }
        catch (final RuntimeException ex)
        {
            // A replica closing or opening under us: it has no follower view to give.
            return null;
        }
        if (!role.hasFollowerInfo())
        {
            return null;
        }
        final FollowerInfoProto follower = role.getFollowerInfo();
        // Without a known leader Ratis reports no last contact; the time spent a follower stands in.
        final long silentMs = follower.getLeaderInfo().hasId() ?
            follower.getLeaderInfo().getLastRpcElapsedTimeMs() : role.getRoleElapsedTimeMs();
        final RaftPeerId leaderId = info.getLeaderId();
        return new FollowerSilence(Duration.ofMillis(silentMs), follower.getOutstandingOp(),
            leaderId == null ? null : leaderId.toString());
    }

    /**
     * A follower's view of its leader.
     *
     * @param silence            time since the last request from a leader.
     * @param outstandingAppends appends received but not finished.
     * @param leader             the leader it last followed, or null.
     */
    public record FollowerSilence(Duration silence, int outstandingAppends, String leader)
    {
    }

    /**
     * Restarts this node's replica of a group in place: the division is closed and opened again from
     * its log, snapshot and key range, which are all kept, as if the node had restarted. A replica
     * comes back as a follower with a fresh election timer.
     *
     * @param group a group this node hosts.
     * @throws IOException when Ratis refuses to close or to reopen the replica; a replica that failed
     *                     to reopen is still on disk and comes back when the node restarts.
     */
    public void restartReplica(final long group) throws IOException
    {
        if (closed)
        {
            throw new IOException("the Raft server of " + ctx.nodeId() + " is closed");
        }
        final GroupStateMachine machine = machines.get(group);
        if (machine == null)
        {
            throw new IOException("group " + label(group) + " has no replica on " + ctx.nodeId());
        }
        final RaftGroup raftGroup = server.getDivision(raftGroupId(group)).getGroup();
        machine.keepRangeOnRemove();
        closeLocal(group, false, "closing the replica");
        openLocal(raftGroup, false, "reopening the replica");
        LOG.info("replica restarted node={} group={}", ctx.nodeId(), label(group));
    }

    /**
     * The replicas on this node that Ratis closed by itself while the server runs (a replica whose
     * election found it outside its own configuration closes its division). Such a replica hears
     * nothing more from its leader until it is reopened with {@link #restartReplica(long)}.
     *
     * @return the keys of the groups whose local division is closed.
     */
    public List<Long> closedReplicas()
    {
        final List<Long> closedGroups = new ArrayList<>();
        if (closed)
        {
            return closedGroups;
        }
        for (final long g : hostedGroups())
        {
            final DivisionInfo info = info(g);
            if (info != null && info.getLifeCycleState().isClosingOrClosed())
            {
                closedGroups.add(g);
            }
        }
        return closedGroups;
    }

    /**
     * Removes this node's replica of a group, deleting its log and clearing its key range.
     *
     * @param group a group's key.
     * @throws IOException when Ratis refuses.
     */
    public void removeLocalReplica(final long group) throws IOException
    {
        closeLocal(group, true, "removing the local replica");
    }

    /**
     * @param group a group's key.
     * @return what this node knows of the group.
     */
    public GroupStatus status(final long group)
    {
        final GroupStateMachine machine = machines.get(group);
        if (machine == null)
        {
            return GroupStatus.notHosted(group);
        }
        try
        {
            final RaftServer.Division division = server.getDivision(raftGroupId(group));
            final DivisionInfo info = division.getInfo();
            final long commitIndex = division.getRaftLog().getLastCommittedIndex();
            final boolean leader = info.isLeader();
            // The leader's own view of each follower in its current term: a match index learned
            // from the follower's answers (not the commit indexes peers reported to earlier leaders)
            // and the time since its last answer. Both lists come from the same appenders, in order.
            final Map<String, long[]> followers = new HashMap<>();
            if (leader)
            {
                final long[] matches = info.getFollowerMatchIndices();
                final RoleInfoProto role = info.getRoleInfoProto();
                if (matches != null && role.hasLeaderInfo() &&
                    role.getLeaderInfo().getFollowerInfoCount() == matches.length)
                {
                    for (int i = 0; i < matches.length; i++)
                    {
                        final ServerRpcProto follower = role.getLeaderInfo().getFollowerInfo(i);
                        followers.put(RaftPeerId.valueOf(follower.getId().getId()).toString(),
                            new long[] {matches[i], follower.getLastRpcElapsedTimeMs()});
                    }
                }
            }
            final String self = server.getId().toString();
            final List<GroupStatus.Replica> replicas = new ArrayList<>();
            for (final RaftPeer peer : division.getGroup().getPeers())
            {
                final String id = peer.getId().toString();
                final long[] view = !leader ? null : id.equals(self) ? new long[] {commitIndex, 0} :
                    followers.get(id);
                final long match = view == null ? -1 : view[0];
                replicas.add(new GroupStatus.Replica(id, peer.getAddress(), match,
                    match >= 0 ? Math.max(0, commitIndex - match) : -1, view == null ? -1 : view[1]));
            }
            final RaftPeerId leaderId = info.getLeaderId();
            return new GroupStatus(group, machine.name(), true, info.getCurrentRole().name(),
                leaderId == null ? null : leaderId.toString(), info.getCurrentTerm(), commitIndex,
                info.getLastAppliedIndex(), replicas);
        }
        catch (final IOException ex)
        {
            return GroupStatus.notHosted(group);
        }
        catch (final IllegalStateException ex)
        {
            // A replica still being created (its log not open yet).
            return new GroupStatus(group, machine.name(), true, "STARTING", null, -1, -1, -1, List.of());
        }
    }

    /**
     * @param group a group's key.
     * @return its name when known here, else its key in hex.
     */
    public String label(final long group)
    {
        final String name = name(group);
        return name != null ? "g-" + name : GroupKeys.hex(group);
    }

    /**
     * Stops the Raft server and every group on it.
     */
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        try
        {
            server.close();
        }
        catch (final IOException ex)
        {
            LOG.warn("raft server close failed", ex);
        }
    }

    RaftServer server()
    {
        return server;
    }

    ClientId clientId()
    {
        return clientId;
    }

    RaftPeerId peerId()
    {
        return peerId;
    }

    long nextCallId()
    {
        return callIds.incrementAndGet();
    }

    Duration requestTimeout()
    {
        return ctx.requestTimeout();
    }

    RaftGroupId raftGroupId(final long group)
    {
        return GroupKeys.raftGroupId(ctx.clusterId(), group);
    }

    private DivisionInfo info(final long group)
    {
        if (!hosts(group))
        {
            return null;
        }
        try
        {
            return server.getDivision(raftGroupId(group)).getInfo();
        }
        catch (final IOException ex)
        {
            return null;
        }
    }

    private CompletableFuture<RaftClientReply> submit(final RaftClientRequest request)
    {
        try
        {
            return server.submitClientRequestAsync(request);
        }
        catch (final IOException ex)
        {
            return CompletableFuture.failedFuture(ex);
        }
    }

    /**
     * Classifies a failed read: this replica could not establish who leads (a follower without a
     * known leader for its read index, a leader not ready or stepping down, a group closing or
     * moving) means nothing was read and the read is to be asked again at whoever leads by then.
     */
    static ReadResult readFailure(final Throwable failure)
    {
        Throwable cause = failure;
        while (cause instanceof CompletionException && cause.getCause() != null)
        {
            cause = cause.getCause();
        }
        if (cause instanceof NotLeaderException notLeader)
        {
            final RaftPeer suggested = notLeader.getSuggestedLeader();
            return ReadResult.notLeader(suggested == null ? null : suggested.getId().toString());
        }
        for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause())
        {
            if (isLeaderUnsettled(t) ||
                t instanceof org.apache.ratis.protocol.exceptions.ReadIndexException ||
                t instanceof org.apache.ratis.protocol.exceptions.ServerNotReadyException ||
                t instanceof org.apache.ratis.protocol.exceptions.AlreadyClosedException)
            {
                return ReadResult.of(ReadResult.Status.RETRY);
            }
        }
        return ReadResult.failed(String.valueOf(cause.getMessage()));
    }

    /**
     * Ratis's refusals while a group's leadership is changing or not yet serving: the request
     * took no effect.
     */
    private static boolean isLeaderUnsettled(final Throwable cause)
    {
        return cause instanceof org.apache.ratis.protocol.exceptions.LeaderNotReadyException ||
            cause instanceof org.apache.ratis.protocol.exceptions.LeaderSteppingDownException ||
            cause instanceof org.apache.ratis.protocol.exceptions.GroupMismatchException;
    }

    private static ProposalResult fromFailure(final Throwable failure)
    {
        Throwable cause = failure;
        while (cause instanceof CompletionException && cause.getCause() != null)
        {
            cause = cause.getCause();
        }
        if (cause instanceof NotLeaderException notLeader)
        {
            final RaftPeer suggested = notLeader.getSuggestedLeader();
            return ProposalResult.notLeader(suggested == null ? null : suggested.getId().toString());
        }
        if (isLeaderUnsettled(cause))
        {
            return ProposalResult.notLeader(null);
        }
        if (cause instanceof RaftException || cause instanceof IOException || cause instanceof RuntimeException)
        {
            LOG.debug("proposal outcome unknown", cause);
        }
        return new ProposalResult(ProposalResult.Status.UNKNOWN, -1, null);
    }

    private GroupStateMachine newStateMachine(final RaftGroupId groupId)
    {
        final long group = GroupKeys.groupKeyOf(ctx.clusterId(), groupId);
        final GroupListener tracking = new GroupListener()
        {
            public void onLeaderChanged(final long g, final String leaderNodeId)
            {
                ctx.listener().onLeaderChanged(g, leaderNodeId);
            }

            public void onLeaderReady(final long g)
            {
                ctx.listener().onLeaderReady(g);
            }

            public void onReplicaChanged(final long g, final boolean hosted)
            {
                if (!hosted)
                {
                    machines.remove(g);
                }
                ctx.listener().onReplicaChanged(g, hosted);
            }

            public void onOwnershipChanged(final long g, final int partition, final Ownership ownership)
            {
                ctx.listener().onOwnershipChanged(g, partition, ownership);
            }

            public void onOwnershipReloaded(final long g)
            {
                ctx.listener().onOwnershipReloaded(g);
            }
        };
        final GroupStateMachine machine = new GroupStateMachine(group, ctx.store(), tracking);
        machines.put(group, machine);
        return machine;
    }

    private static RaftProperties properties(final Context ctx)
    {
        final RaftProperties p = new RaftProperties();
        RaftServerConfigKeys.setStorageDir(p, List.of(ctx.storageDir().toFile()));
        RaftServerConfigKeys.setRemovedGroupsDir(p, ctx.storageDir().resolveSibling(
            ctx.storageDir().getFileName() + "-removed").toFile());
        GrpcConfigKeys.Server.setHost(p, ctx.host());
        GrpcConfigKeys.Server.setPort(p, ctx.port());

        RaftServerConfigKeys.Rpc.setTimeoutMin(p, millis(ctx.electionTimeoutMin()));
        RaftServerConfigKeys.Rpc.setTimeoutMax(p, millis(ctx.electionTimeoutMax()));
        RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMin(p, millis(ctx.electionTimeoutMin().dividedBy(2)));
        RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMax(p, millis(ctx.electionTimeoutMax().dividedBy(2)));
        RaftServerConfigKeys.Rpc.setRequestTimeout(p, millis(ctx.requestTimeout()));
        RaftServerConfigKeys.LeaderElection.setPreVote(p, true);
        RaftServerConfigKeys.Read.setOption(p, RaftServerConfigKeys.Read.Option.LINEARIZABLE);

        // Few busy groups: bounded executors per group instead of Ratis's unbounded cached pools.
        RaftServerConfigKeys.ThreadPool.setServerCached(p, false);
        RaftServerConfigKeys.ThreadPool.setServerSize(p, ctx.serverThreads());
        RaftServerConfigKeys.ThreadPool.setClientCached(p, false);
        RaftServerConfigKeys.ThreadPool.setClientSize(p, ctx.clientThreads());
        RaftServerConfigKeys.Log.Appender.setWaitTimeMin(p, millis(ctx.appenderWait()));

        final SizeInBytes writeBuffer = SizeInBytes.valueOf(ctx.maxEntryBytes() + 64 * 1024);
        RaftServerConfigKeys.Log.setWriteBufferSize(p, writeBuffer);
        final long segmentBytes = Math.max(8L << 20, 2L * writeBuffer.getSize());
        RaftServerConfigKeys.Log.setSegmentSizeMax(p, SizeInBytes.valueOf(segmentBytes));
        RaftServerConfigKeys.Log.setPreallocatedSize(p, SizeInBytes.valueOf(1 << 20));
        RaftServerConfigKeys.Log.Appender.setBufferByteLimit(p, SizeInBytes.valueOf(ctx.maxEntryBytes() + 32 * 1024));
        RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, true);
        RaftServerConfigKeys.Log.setPurgeGap(p, ctx.purgeGap());

        RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, true);
        RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, ctx.snapshotThreshold());
        RaftServerConfigKeys.Snapshot.setCreationGap(p, Math.min(1024, ctx.snapshotThreshold()));
        RaftServerConfigKeys.Snapshot.setRetentionFileNum(p, 2);
        System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("rookery.ratis."))
            .forEach(k -> p.set(k.substring("rookery.ratis.".length()), System.getProperty(k)));
        return p;
    }

    static TimeDuration millis(final Duration duration)
    {
        return TimeDuration.valueOf(duration.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Settings of the Raft layer. Election timeouts default to 1-2 s: on a 2-core machine running
     * several nodes, Ratis's own 150-300 ms misfire whenever a JVM pauses for garbage collection
     * or the machine is saturated, and each false election costs a leadership change.
     */
    public static final class Context
    {
        private String nodeId;
        private String clusterId = "rookery";
        private String host = "127.0.0.1";
        private int port;
        private Path storageDir;
        private Path tlsCertificate;
        private Path tlsKey;
        private Path tlsCa;
        private int partitionCount = 256;
        private int replicationFactor = 3;
        private Duration electionTimeoutMin = Duration.ofMillis(1000);
        private Duration electionTimeoutMax = Duration.ofMillis(2000);
        private Duration requestTimeout = Duration.ofSeconds(5);
        private int maxEntryBytes = 4 * 1024 * 1024;
        private long snapshotThreshold = 20_000;
        private int purgeGap = 1024;
        private NodeStore store;
        private GroupListener listener = new GroupListener()
        {
        };
        private int serverThreads = 2;
        private int clientThreads = 2;
        private Duration appenderWait = Duration.ofMillis(1);

        /**
         * Fails fast naming the first bad setting.
         *
         * @return this.
         */
        public Context conclude()
        {
            Objects.requireNonNull(nodeId, "raft.nodeId must be set");
            Objects.requireNonNull(storageDir, "raft.storageDir must be set");
            Objects.requireNonNull(store, "raft.store must be set");
            if (port <= 0 || port > 65535)
            {
                throw new IllegalArgumentException("raft.port must be set to a port in [1, 65535]: " + port);
            }
            if (partitionCount != store.partitionCount())
            {
                throw new IllegalArgumentException("raft.partitionCount " + partitionCount +
                    " differs from the store's " + store.partitionCount());
            }
            if (replicationFactor < 1)
            {
                throw new IllegalArgumentException("raft.replicationFactor must be >= 1: " + replicationFactor);
            }
            if (electionTimeoutMin.compareTo(electionTimeoutMax) >= 0 || electionTimeoutMin.toMillis() < 50)
            {
                throw new IllegalArgumentException("raft.electionTimeoutMin must be >= 50 ms and below the max: " +
                    electionTimeoutMin + " / " + electionTimeoutMax);
            }
            if (requestTimeout.compareTo(electionTimeoutMax) <= 0)
            {
                throw new IllegalArgumentException("raft.requestTimeout must exceed raft.electionTimeoutMax");
            }
            if (serverThreads < 1 || clientThreads < 1)
            {
                throw new IllegalArgumentException("raft.serverThreads and raft.clientThreads must be >= 1");
            }
            if (snapshotThreshold < 1)
            {
                throw new IllegalArgumentException("raft.snapshotThreshold must be >= 1");
            }
            return this;
        }

        /** @return this node's id, also its Raft peer id. */
        public String nodeId()
        {
            return nodeId;
        }

        /**
         * @param nodeId this node's id, also its Raft peer id.
         * @return this.
         */
        public Context nodeId(final String nodeId)
        {
            this.nodeId = nodeId;
            return this;
        }

        /** @return cluster id, part of every group id. */
        public String clusterId()
        {
            return clusterId;
        }

        /**
         * @param clusterId cluster id, part of every group id (default rookery).
         * @return this.
         */
        public Context clusterId(final String clusterId)
        {
            this.clusterId = clusterId;
            return this;
        }

        /** @return address the Raft server binds and advertises. */
        public String host()
        {
            return host;
        }

        /**
         * @param host address the Raft server binds and advertises (default 127.0.0.1).
         * @return this.
         */
        public Context host(final String host)
        {
            this.host = host;
            return this;
        }

        /** @return Raft server port. */
        public int port()
        {
            return port;
        }

        /**
         * @param port Raft server port (required: peers record it in group configurations).
         * @return this.
         */
        public Context port(final int port)
        {
            this.port = port;
            return this;
        }

        /** @return Ratis storage directory. */
        public Path storageDir()
        {
            return storageDir;
        }

        /** @return the PEM certificate chain of Raft's mutual TLS, or null for plaintext. */
        public Path tlsCertificate()
        {
            return tlsCertificate;
        }

        /** @return the PEM PKCS#8 key of {@link #tlsCertificate()}. */
        public Path tlsKey()
        {
            return tlsKey;
        }

        /** @return the PEM CA certificate peers' certificates must be signed by. */
        public Path tlsCa()
        {
            return tlsCa;
        }

        /**
         * Runs Raft's gRPC over mutual TLS: only nodes with a certificate the CA signed are peers.
         * Read when the server starts: a renewed certificate takes a (rolling) restart.
         *
         * @param certificateChain PEM certificate chain of this node.
         * @param privateKey       its PEM PKCS#8 key.
         * @param ca               PEM CA certificate.
         * @return this.
         */
        public Context tls(final Path certificateChain, final Path privateKey, final Path ca)
        {
            this.tlsCertificate = certificateChain;
            this.tlsKey = privateKey;
            this.tlsCa = ca;
            return this;
        }

        /**
         * @param dir Ratis storage directory (logs, snapshots).
         * @return this.
         */
        public Context storageDir(final Path dir)
        {
            this.storageDir = dir;
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

        /** @return replicas per group. */
        public int replicationFactor()
        {
            return replicationFactor;
        }

        /**
         * @param factor replicas per group (default 3).
         * @return this.
         */
        public Context replicationFactor(final int factor)
        {
            this.replicationFactor = factor;
            return this;
        }

        /** @return minimum election timeout. */
        public Duration electionTimeoutMin()
        {
            return electionTimeoutMin;
        }

        /**
         * @param timeout minimum election timeout (default 1 s).
         * @return this.
         */
        public Context electionTimeoutMin(final Duration timeout)
        {
            this.electionTimeoutMin = timeout;
            return this;
        }

        /** @return maximum election timeout. */
        public Duration electionTimeoutMax()
        {
            return electionTimeoutMax;
        }

        /**
         * @param timeout maximum election timeout (default 2 s).
         * @return this.
         */
        public Context electionTimeoutMax(final Duration timeout)
        {
            this.electionTimeoutMax = timeout;
            return this;
        }

        /** @return how long a proposal or read may take. */
        public Duration requestTimeout()
        {
            return requestTimeout;
        }

        /**
         * @param timeout how long a proposal or read may take before its outcome is unknown (default 5 s).
         * @return this.
         */
        public Context requestTimeout(final Duration timeout)
        {
            this.requestTimeout = timeout;
            return this;
        }

        /** @return largest log entry. */
        public int maxEntryBytes()
        {
            return maxEntryBytes;
        }

        /**
         * @param bytes largest log entry; sizes Ratis's write buffer (default 4 MiB).
         * @return this.
         */
        public Context maxEntryBytes(final int bytes)
        {
            this.maxEntryBytes = bytes;
            return this;
        }

        /** @return entries between automatic snapshots. */
        public long snapshotThreshold()
        {
            return snapshotThreshold;
        }

        /**
         * @param entries applied entries between automatic snapshots of a group (default 20000).
         * @return this.
         */
        public Context snapshotThreshold(final long entries)
        {
            this.snapshotThreshold = entries;
            return this;
        }

        /** @return log purge gap. */
        public int purgeGap()
        {
            return purgeGap;
        }

        /**
         * @param gap entries the log keeps behind a snapshot before purging (default 1024).
         * @return this.
         */
        public Context purgeGap(final int gap)
        {
            this.purgeGap = gap;
            return this;
        }

        /** @return the node store partitions are applied to. */
        public NodeStore store()
        {
            return store;
        }

        /**
         * @param store the node store partitions are applied to.
         * @return this.
         */
        public Context store(final NodeStore store)
        {
            this.store = store;
            return this;
        }

        /** @return listener of group events. */
        public GroupListener listener()
        {
            return listener;
        }

        /**
         * @param listener of role changes, replicas opened and closed, and ownership changes.
         * @return this.
         */
        public Context listener(final GroupListener listener)
        {
            this.listener = listener;
            return this;
        }

        /** @return threads of each group's server executor. */
        public int serverThreads()
        {
            return serverThreads;
        }

        /**
         * @param threads threads of each group's server executor, a fixed pool instead of Ratis's
         *                unbounded cached one (default 4).
         * @return this.
         */
        public Context serverThreads(final int threads)
        {
            this.serverThreads = threads;
            return this;
        }

        /** @return threads of each group's client executor. */
        public int clientThreads()
        {
            return clientThreads;
        }

        /**
         * @param threads threads of each group's client executor, a fixed pool (default 2).
         * @return this.
         */
        public Context clientThreads(final int threads)
        {
            this.clientThreads = threads;
            return this;
        }

        /** @return how long a leader's appender waits to batch entries. */
        public Duration appenderWait()
        {
            return appenderWait;
        }

        /**
         * @param wait how long a leader's log appender waits to gather entries into one append
         *             (default 1 ms, Ratis's own; see docs/performance.md).
         * @return this.
         */
        public Context appenderWait(final Duration wait)
        {
            this.appenderWait = wait;
            return this;
        }
    }
}
