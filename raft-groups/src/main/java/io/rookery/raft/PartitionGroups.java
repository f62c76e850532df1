package io.rookery.raft;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

import io.rookery.storage.NodeStore;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.proto.RaftProtos.CommitInfoProto;
import org.apache.ratis.proto.RaftProtos.FollowerInfoProto;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.protocol.TransferLeadershipRequest;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.protocol.exceptions.RaftException;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftConfiguration;
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
 * The node's Raft server and the partition groups it hosts (multi-raft: one Ratis server, one
 * group per partition, R replicas each).
 * <p>
 * Entries are proposed in-process to the local server, never through a Ratis client, so the
 * leader of a partition pays no network hop for its own proposals. Reads of committed state go
 * through Ratis's read index, so they are linearizable and never served by a stale leader.
 */
public final class PartitionGroups implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(PartitionGroups.class);

    private final Context ctx;
    private final RaftPeerId peerId;
    private final RaftGroupId[] groupIds;
    private final Map<RaftGroupId, Integer> partitionByGroup = new HashMap<>();
    private final AtomicReferenceArray<PartitionStateMachine> machines;
    private final ClientId clientId = ClientId.randomId();
    private final AtomicLong callIds = new AtomicLong();
    private final RaftServer server;
    private volatile boolean closed;

    private PartitionGroups(final Context ctx) throws IOException
    {
        this.ctx = ctx;
        this.peerId = RaftPeerId.valueOf(ctx.nodeId());
        this.groupIds = new RaftGroupId[ctx.partitionCount()];
        this.machines = new AtomicReferenceArray<>(ctx.partitionCount());
        for (int p = 0; p < ctx.partitionCount(); p++)
        {
            groupIds[p] = groupId(ctx.clusterId(), p);
            partitionByGroup.put(groupIds[p], p);
        }
        Files.createDirectories(ctx.storageDir());
        this.server = RaftServer.newBuilder()
            .setServerId(peerId)
            .setProperties(properties(ctx))
            .setStateMachineRegistry(this::newStateMachine)
            .build();
        server.start();
        LOG.info("raft server started node={} address={} recoveredGroups={}", ctx.nodeId(), raftAddress(),
            hostedPartitions());
    }

    /**
     * Starts the node's Raft server; groups found in the storage directory are recovered.
     *
     * @param ctx settings; {@link Context#conclude()} is called here.
     * @return the running groups.
     * @throws IOException when the server cannot start.
     */
    public static PartitionGroups start(final Context ctx) throws IOException
    {
        ctx.conclude();
        return new PartitionGroups(ctx);
    }

    /**
     * @param clusterId cluster id.
     * @param partition partition.
     * @return the deterministic group id of the partition, the same on every node.
     */
    public static RaftGroupId groupId(final String clusterId, final int partition)
    {
        return RaftGroupId.valueOf(UUID.nameUUIDFromBytes(
            ("rookery/" + clusterId + "/partition/" + partition).getBytes(StandardCharsets.UTF_8)));
    }

    /** @return this node's id. */
    public String nodeId()
    {
        return ctx.nodeId();
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

    /** @return replicas per partition. */
    public int replicationFactor()
    {
        return ctx.replicationFactor();
    }

    /**
     * @param partition a partition.
     * @return whether this node hosts a replica of it.
     */
    public boolean hosts(final int partition)
    {
        return machines.get(partition) != null;
    }

    /** @return partitions this node hosts a replica of. */
    public List<Integer> hostedPartitions()
    {
        final List<Integer> hosted = new ArrayList<>();
        for (int p = 0; p < ctx.partitionCount(); p++)
        {
            if (hosts(p))
            {
                hosted.add(p);
            }
        }
        return hosted;
    }

    /**
     * Creates, on this node, the replicas that rendezvous placement over the initial members
     * assigns to it, with the placement's peers. Every initial member does the same, so each group
     * comes up with the same membership everywhere. Replicas that already exist are left alone.
     *
     * @param initialMembers node id to Raft address of every initial member, this node included.
     * @return partitions whose replica was created by this call.
     * @throws IOException when Ratis refuses to add a group.
     */
    public List<Integer> bootstrap(final Map<String, String> initialMembers) throws IOException
    {
        if (!initialMembers.containsKey(ctx.nodeId()))
        {
            throw new IllegalArgumentException("initial members " + initialMembers.keySet() + " do not include " +
                ctx.nodeId());
        }
        final List<Integer> created = new ArrayList<>();
        for (int p = 0; p < ctx.partitionCount(); p++)
        {
            final List<String> replicas = Placement.replicas(initialMembers.keySet(), p, ctx.replicationFactor());
            if (!replicas.contains(ctx.nodeId()) || hosts(p))
            {
                continue;
            }
            final Map<String, String> peers = new LinkedHashMap<>();
            for (final String id : replicas)
            {
                peers.put(id, initialMembers.get(id));
            }
            addReplica(p, peers);
            created.add(p);
        }
        LOG.info("bootstrap node={} created replicas of partitions {}", ctx.nodeId(), created);
        return created;
    }

    /**
     * Creates a local replica of a partition group with the given configuration.
     *
     * @param partition the partition.
     * @param peers     node id to Raft address of the group's members.
     * @throws IOException when Ratis refuses.
     */
    public void addReplica(final int partition, final Map<String, String> peers) throws IOException
    {
        openLocal(partition, RaftGroup.valueOf(groupIds[partition], peers(peers)), true, "adding group");
    }

    /**
     * Opens this node's division of a partition group: a new, empty one ({@code format}), or the one
     * its storage directory already holds.
     */
    private void openLocal(final int partition, final RaftGroup group, final boolean format, final String what)
        throws IOException
    {
        final RaftClientReply reply = server.groupManagement(
            GroupManagementRequest.newAdd(clientId, peerId, callIds.incrementAndGet(), group, format));
        if (!reply.isSuccess())
        {
            throw new IOException(what + " of partition " + partition + " failed: " + reply.getException());
        }
    }

    /**
     * Closes this node's division of a partition group, deleting its storage directory or keeping it.
     */
    private void closeLocal(final int partition, final boolean delete, final String what) throws IOException
    {
        final RaftClientReply reply = server.groupManagement(GroupManagementRequest.newRemove(
            clientId, peerId, callIds.incrementAndGet(), groupIds[partition], delete, false));
        if (!reply.isSuccess())
        {
            throw new IOException(what + " of partition " + partition + " failed: " + reply.getException());
        }
    }

    /**
     * Proposes an entry to the group of a partition through the local server, which must lead it.
     *
     * @param partition the partition.
     * @param entry     the encoded {@link LogEntry}.
     * @return the outcome once the entry is committed and applied locally, or known not to be.
     */
    public CompletableFuture<ProposalResult> propose(final int partition, final byte[] entry)
    {
        final RaftClientRequest request = RaftClientRequest.newBuilder()
            .setClientId(clientId)
            .setServerId(peerId)
            .setGroupId(groupIds[partition])
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
                return result == PartitionStateMachine.RESULT_FENCED ?
                    new ProposalResult(ProposalResult.Status.FENCED, reply.getLogIndex(), null) :
                    ProposalResult.applied(reply.getLogIndex());
            }
            return fromFailure(reply.getException());
        });
    }

    /**
     * Reads one committed key of a partition, linearizably (Ratis read index). Works on the
     * leader; a follower answers {@link NotLeaderException}.
     *
     * @param partition the partition.
     * @param key       key within the partition.
     * @return the committed value, empty when absent; fails with {@link NotLeaderException} when
     * this node does not lead the partition.
     */
    public CompletableFuture<Optional<byte[]>> read(final int partition, final byte[] key)
    {
        final RaftClientRequest request = RaftClientRequest.newBuilder()
            .setClientId(clientId)
            .setServerId(peerId)
            .setGroupId(groupIds[partition])
            .setCallId(callIds.incrementAndGet())
            .setMessage(Message.valueOf(UnsafeByteOperations.unsafeWrap(ReadKeys.encode(partition, key))))
            .setType(RaftClientRequest.readRequestType())
            .setTimeoutMs(ctx.requestTimeout().toMillis())
            .build();
        return submit(request).thenApply(reply ->
        {
            if (!reply.isSuccess())
            {
                throw new CompletionException(reply.getException());
            }
            final ByteString content = reply.getMessage().getContent();
            if (content.isEmpty() || content.byteAt(0) != PartitionStateMachine.READ_FOUND)
            {
                return Optional.empty();
            }
            return Optional.of(content.substring(1).toByteArray());
        });
    }

    /**
     * @param partition a partition.
     * @return the term in which this node leads the partition and has applied everything
     * committed before it, or -1.
     */
    public long readyLeaderTerm(final int partition)
    {
        final DivisionInfo info = info(partition);
        if (info == null || !info.isLeader() || !info.isLeaderReady())
        {
            return -1;
        }
        return info.getCurrentTerm();
    }

    /**
     * @param partition a partition.
     * @return whether this node was elected leader of the partition but has not yet applied
     * everything committed before its term.
     */
    public boolean leaderAwaitingReadiness(final int partition)
    {
        final DivisionInfo info = info(partition);
        return info != null && info.isLeader() && !info.isLeaderReady();
    }

    /**
     * @param partition a partition.
     * @return the current term known to this node's replica, or -1 when not hosted.
     */
    public long currentTerm(final int partition)
    {
        final DivisionInfo info = info(partition);
        return info == null ? -1 : info.getCurrentTerm();
    }

    /**
     * How long this node's follower replica of a partition has gone without hearing from a leader.
     * Ratis restarts this clock whenever a replica becomes a follower again, so a follower whose
     * elections fail (a minority side) never shows a silence much longer than an election timeout.
     *
     * @param partition a partition.
     * @return the silence, with the appends the replica counts as still in progress (while there
     * are any, Ratis's election timer does not fire), or null when this node hosts no follower of it.
     */
    public FollowerSilence followerSilence(final int partition)
    {
        final DivisionInfo info = info(partition);
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
     * Restarts this node's replica of a partition in place: the division is closed and opened
     * again from its log, snapshot and key range, which are all kept, as if the node had restarted.
     * A replica comes back as a follower with a fresh election timer.
     *
     * @param partition a partition this node hosts.
     * @throws IOException when Ratis refuses to close or to reopen the replica; a replica that failed
     *                     to reopen is still on disk and comes back when the node restarts.
     */
    public void restartReplica(final int partition) throws IOException
    {
        if (closed)
        {
            throw new IOException("the Raft server of " + ctx.nodeId() + " is closed");
        }
        final PartitionStateMachine machine = machines.get(partition);
        if (machine == null)
        {
            throw new IOException("partition " + partition + " has no replica on " + ctx.nodeId());
        }
        final RaftGroup group = server.getDivision(groupIds[partition]).getGroup();
        machine.keepRangeOnRemove();
        closeLocal(partition, false, "closing the replica");
        openLocal(partition, group, false, "reopening the replica");
        LOG.info("replica restarted node={} partition={}", ctx.nodeId(), partition);
    }

    /**
     * @param partition a partition.
     * @return what this node knows of the partition's group.
     */
    public PartitionStatus status(final int partition)
    {
        if (!hosts(partition))
        {
            return PartitionStatus.notHosted(partition);
        }
        try
        {
            final RaftServer.Division division = server.getDivision(groupIds[partition]);
            final DivisionInfo info = division.getInfo();
            final long commitIndex = division.getRaftLog().getLastCommittedIndex();
            final boolean leader = info.isLeader();
            final Map<String, Long> commitByPeer = new HashMap<>();
            for (final CommitInfoProto commit : division.getCommitInfos())
            {
                commitByPeer.put(RaftPeerId.valueOf(commit.getServer().getId()).toString(), commit.getCommitIndex());
            }
            final List<PartitionStatus.Replica> replicas = new ArrayList<>();
            for (final RaftPeer peer : division.getGroup().getPeers())
            {
                final String id = peer.getId().toString();
                final long match = leader ? commitByPeer.getOrDefault(id, -1L) : -1;
                replicas.add(new PartitionStatus.Replica(
                    id, peer.getAddress(), match, leader && match >= 0 ? Math.max(0, commitIndex - match) : -1));
            }
            final RaftPeerId leaderId = info.getLeaderId();
            return new PartitionStatus(partition, true, info.getCurrentRole().name(),
                leaderId == null ? null : leaderId.toString(), info.getCurrentTerm(), commitIndex,
                info.getLastAppliedIndex(), replicas);
        }
        catch (final IOException ex)
        {
            return PartitionStatus.notHosted(partition);
        }
        catch (final IllegalStateException ex)
        {
            // A replica still being created (its log not open yet).
            return new PartitionStatus(partition, true, "STARTING", null, -1, -1, -1, List.of());
        }
    }

    /**
     * A partition group's configuration as this node's replica knows it.
     *
     * @param peers        node id to Raft address of the current members.
     * @param transitional whether a configuration change is in progress (joint consensus).
     * @param index        log index of the configuration entry.
     */
    public record Configuration(Map<String, String> peers, boolean transitional, long index)
    {
    }

    /**
     * @param partition a partition.
     * @return its group's configuration, or empty when this node does not host it.
     */
    public Optional<Configuration> configuration(final int partition)
    {
        if (!hosts(partition))
        {
            return Optional.empty();
        }
        try
        {
            final RaftConfiguration conf = server.getDivision(groupIds[partition]).getRaftConf();
            final Map<String, String> peers = new LinkedHashMap<>();
            for (final RaftPeer peer : conf.getCurrentPeers())
            {
                peers.put(peer.getId().toString(), peer.getAddress());
            }
            return Optional.of(new Configuration(peers, !conf.getPreviousPeers().isEmpty(), conf.getLogEntryIndex()));
        }
        catch (final IOException | IllegalStateException ex)
        {
            return Optional.empty();
        }
    }

    /**
     * Changes the members of a group this node leads, if its configuration still is {@code current}.
     * Ratis catches new members up (by log or snapshot) before the new configuration commits.
     *
     * @param partition the partition.
     * @param current   the members the change is computed from.
     * @param next      the members after the change.
     * @return completes when the new configuration is committed, or fails.
     */
    public CompletableFuture<Void> changeReplicas(
        final int partition, final Map<String, String> current, final Map<String, String> next)
    {
        final SetConfigurationRequest.Arguments arguments = SetConfigurationRequest.Arguments.newBuilder()
            .setServersInCurrentConf(peers(current))
            .setServersInNewConf(peers(next))
            .setMode(SetConfigurationRequest.Mode.COMPARE_AND_SET)
            .build();
        try
        {
            return server.setConfigurationAsync(new SetConfigurationRequest(
                    clientId, peerId, groupIds[partition], callIds.incrementAndGet(), arguments))
                .thenApply(PartitionGroups::requireSuccess);
        }
        catch (final IOException ex)
        {
            return CompletableFuture.failedFuture(ex);
        }
    }

    /**
     * Hands the leadership of a group this node leads to another member.
     *
     * @param partition the partition.
     * @param nodeId    the member to lead next.
     * @param timeout   how long the transfer may take.
     * @return completes when the other member leads, or fails.
     */
    public CompletableFuture<Void> transferLeadership(final int partition, final String nodeId, final Duration timeout)
    {
        return requestTransfer(partition, RaftPeerId.valueOf(nodeId), timeout)
            .thenCompose(reply -> leftSteppingDown(reply) ?
                stepDown(partition, timeout).thenApply(ignored -> reply) : CompletableFuture.completedFuture(reply))
            .thenApply(PartitionGroups::requireSuccess);
    }

    /**
     * Asks this node's replica of a partition to hand its leadership to {@code newLeader}, or to
     * step down when it is null.
     */
    private CompletableFuture<RaftClientReply> requestTransfer(
        final int partition, final RaftPeerId newLeader, final Duration timeout)
    {
        try
        {
            return server.transferLeadershipAsync(new TransferLeadershipRequest(clientId, peerId,
                groupIds[partition], callIds.incrementAndGet(), newLeader, timeout.toMillis()));
        }
        catch (final IOException ex)
        {
            return CompletableFuture.failedFuture(ex);
        }
    }

    /**
     * Whether a failed transfer left this leader refusing every write. Ratis 3.3 marks the leader
     * as stepping down when a transfer starts and clears the mark on the transfer's timeout or on
     * the next election; a transfer that fails at once (the transferee's StartLeaderElection call
     * failed immediately, as it does to a peer that just died, or it has no log appender) never
     * gets a timeout, so the leader would refuse writes and reconfigurations for good.
     */
    private static boolean leftSteppingDown(final RaftClientReply reply)
    {
        if (reply.isSuccess() || reply.getException() == null)
        {
            return false;
        }
        final String message = String.valueOf(reply.getException().getMessage());
        return message.contains("): COMPLETED_EXCEPTIONALLY") || message.contains("): NULL_LOG_APPENDER") ||
            message.contains("): NULL_FOLLOWER");
    }

    /**
     * Steps this leader down (a new election follows), which is the one way to clear Ratis's
     * stepping-down mark without a timeout.
     */
    private CompletableFuture<Void> stepDown(final int partition, final Duration timeout)
    {
        LOG.warn("partition={} leadership transfer failed at once; stepping down so the group takes writes again",
            partition);
        return requestTransfer(partition, null, timeout).handle((reply, ex) -> null);
    }

    /**
     * Creates an empty replica of a partition group on another node, so that it can be added to
     * the group. Already existing is fine.
     *
     * @param nodeId    the node.
     * @param address   its Raft address.
     * @param partition the partition.
     * @param peers     the members the group will have once the node is added.
     * @throws IOException when the node refuses or cannot be reached.
     */
    public void createRemoteReplica(
        final String nodeId, final String address, final int partition, final Map<String, String> peers)
        throws IOException
    {
        final RaftPeer target = RaftPeer.newBuilder().setId(nodeId).setAddress(address).build();
        try (RaftClient client = adminClient(target, partition))
        {
            // Recover rather than format: a directory left by an earlier membership of this group
            // holds a prefix of the same committed history, which Raft catches up (by log or
            // snapshot) like any lagging replica.
            final RaftClientReply reply = client.getGroupManagementApi(target.getId())
                .add(RaftGroup.valueOf(groupIds[partition], peers(peers)), false);
            if (!reply.isSuccess() && !String.valueOf(reply.getException()).contains("already exists"))
            {
                throw new IOException("creating the replica of partition " + partition + " on " + nodeId +
                    " failed: " + reply.getException());
            }
        }
        catch (final IOException ex)
        {
            if (!String.valueOf(ex.getMessage()).contains("already exists"))
            {
                throw ex;
            }
        }
    }

    /**
     * Removes a node's replica of a partition group (after the group no longer counts it as a
     * member), deleting its log and clearing its key range.
     *
     * @param nodeId    the node, possibly this one.
     * @param address   its Raft address.
     * @param partition the partition.
     * @throws IOException when the node refuses or cannot be reached.
     */
    public void removeReplica(final String nodeId, final String address, final int partition) throws IOException
    {
        if (nodeId.equals(ctx.nodeId()))
        {
            closeLocal(partition, true, "removing the local replica");
            return;
        }
        final RaftPeer target = RaftPeer.newBuilder().setId(nodeId).setAddress(address).build();
        try (RaftClient client = adminClient(target, partition))
        {
            final RaftClientReply reply = client.getGroupManagementApi(target.getId())
                .remove(groupIds[partition], true, false);
            if (!reply.isSuccess())
            {
                throw new IOException("removing the replica of partition " + partition + " from " + nodeId +
                    " failed: " + reply.getException());
            }
        }
    }

    private RaftClient adminClient(final RaftPeer target, final int partition)
    {
        final RaftProperties properties = new RaftProperties();
        org.apache.ratis.client.RaftClientConfigKeys.Rpc.setRequestTimeout(properties, millis(ctx.requestTimeout()));
        return RaftClient.newBuilder()
            .setProperties(properties)
            .setClientId(ClientId.randomId())
            .setRaftGroup(RaftGroup.valueOf(groupIds[partition], target))
            .setRetryPolicy(org.apache.ratis.retry.RetryPolicies.noRetry())
            .build();
    }

    private static List<RaftPeer> peers(final Map<String, String> members)
    {
        final List<RaftPeer> peers = new ArrayList<>();
        members.forEach((id, address) -> peers.add(RaftPeer.newBuilder().setId(id).setAddress(address).build()));
        return peers;
    }

    private static Void requireSuccess(final RaftClientReply reply)
    {
        if (!reply.isSuccess())
        {
            throw new CompletionException(reply.getException() != null ? reply.getException() :
                new IOException("request failed: " + reply));
        }
        return null;
    }

    /**
     * @param partition a partition.
     * @return counters of the partition's state machine on this node, or null when not hosted.
     */
    public StateMachineStats stateMachineStats(final int partition)
    {
        final PartitionStateMachine machine = machines.get(partition);
        if (machine == null)
        {
            return null;
        }
        return new StateMachineStats(machine.snapshotsTaken(), machine.snapshotsInstalled(), machine.fencedEntries(),
            machine.lastSnapshotBytes(), machine.lastSnapshotNanos());
    }

    /**
     * Counters of one partition's state machine.
     *
     * @param snapshotsTaken     snapshots written by this replica.
     * @param snapshotsInstalled snapshots received from a leader and installed.
     * @param fencedEntries      entries not applied because they came from a stale leader.
     * @param lastSnapshotBytes  size of the last snapshot written.
     * @param lastSnapshotNanos  time the last snapshot took.
     */
    public record StateMachineStats(
        long snapshotsTaken,
        long snapshotsInstalled,
        long fencedEntries,
        long lastSnapshotBytes,
        long lastSnapshotNanos)
    {
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

    RaftGroupId groupIdOf(final int partition)
    {
        return groupIds[partition];
    }

    private DivisionInfo info(final int partition)
    {
        if (!hosts(partition))
        {
            return null;
        }
        try
        {
            return server.getDivision(groupIds[partition]).getInfo();
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
     * Whether a failed {@link #read} is to be asked again, at whoever leads by then: this replica
     * could not establish who leads (a follower without a known leader for its read index, a
     * leader not ready or stepping down, a group closing or moving), so nothing was read.
     *
     * @param failure the read's failure, wrapped or not.
     * @return true when retrying is right, false when the failure is to be reported.
     */
    public static boolean isRetryableReadFailure(final Throwable failure)
    {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause())
        {
            if (isLeaderUnsettled(t) ||
                t instanceof org.apache.ratis.protocol.exceptions.ReadIndexException ||
                t instanceof org.apache.ratis.protocol.exceptions.ServerNotReadyException ||
                t instanceof org.apache.ratis.protocol.exceptions.AlreadyClosedException)
            {
                return true;
            }
        }
        return false;
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

    private PartitionStateMachine newStateMachine(final RaftGroupId groupId)
    {
        final Integer partition = partitionByGroup.get(groupId);
        if (partition == null)
        {
            throw new IllegalStateException("group " + groupId + " is not a partition of cluster " + ctx.clusterId());
        }
        final PartitionListener tracking = new PartitionListener()
        {
            public void onLeaderChanged(final int p, final String leaderNodeId)
            {
                ctx.listener().onLeaderChanged(p, leaderNodeId);
            }

            public void onLeaderReady(final int p)
            {
                ctx.listener().onLeaderReady(p);
            }

            public void onApplied(final int p, final long index)
            {
                ctx.listener().onApplied(p, index);
            }

            public void onReplicaChanged(final int p, final boolean hosted)
            {
                if (!hosted)
                {
                    machines.set(p, null);
                }
                ctx.listener().onReplicaChanged(p, hosted);
            }
        };
        final PartitionStateMachine machine = new PartitionStateMachine(partition, ctx.store(), tracking);
        machines.set(partition, machine);
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

    private static TimeDuration millis(final Duration duration)
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
        private int partitionCount = 16;
        private int replicationFactor = 3;
        private Duration electionTimeoutMin = Duration.ofMillis(1000);
        private Duration electionTimeoutMax = Duration.ofMillis(2000);
        private Duration requestTimeout = Duration.ofSeconds(5);
        private int maxEntryBytes = 4 * 1024 * 1024;
        private long snapshotThreshold = 20_000;
        private int purgeGap = 1024;
        private NodeStore store;
        private PartitionListener listener = new PartitionListener()
        {
        };

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
         * @param count number of partitions (default 16).
         * @return this.
         */
        public Context partitionCount(final int count)
        {
            this.partitionCount = count;
            return this;
        }

        /** @return replicas per partition. */
        public int replicationFactor()
        {
            return replicationFactor;
        }

        /**
         * @param factor replicas per partition (default 3).
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
         * @param entries applied entries between automatic snapshots of a partition (default 20000).
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

        /** @return listener of role changes. */
        public PartitionListener listener()
        {
            return listener;
        }

        /**
         * @param listener of role changes and applies.
         * @return this.
         */
        public Context listener(final PartitionListener listener)
        {
            this.listener = listener;
            return this;
        }

        /**
         * @param members node ids.
         * @return the members' placement for every partition, for diagnostics.
         */
        public Map<Integer, List<String>> placementOf(final Collection<String> members)
        {
            final Map<Integer, List<String>> placement = new LinkedHashMap<>();
            for (int p = 0; p < partitionCount; p++)
            {
                placement.put(p, Placement.replicas(members, p, replicationFactor));
            }
            return placement;
        }
    }
}
