package io.rookery.node;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;

import io.rookery.api.AgentId;
import io.rookery.api.AgentType;
import io.rookery.api.Codecs;
import io.rookery.api.Durability;
import io.rookery.gossip.GroupClaim;
import io.rookery.gossip.Membership;
import io.rookery.raft.GroupKeys;
import io.rookery.raft.GroupListener;
import io.rookery.raft.Ownership;
import io.rookery.raft.PartitionAssignment;
import io.rookery.raft.ProposalResult;
import io.rookery.raft.RaftGroups;
import io.rookery.storage.NodeStore;
import io.rookery.transport.codecs.RequestKind;
import io.rookery.transport.codecs.Status;
import org.agrona.CloseHelper;
import org.agrona.concurrent.AgentRunner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent runtime of a node: its turn loops and the group replicas they drive, its routing table
 * and its router, and the glue between them and the Raft groups (it is their {@link GroupListener}).
 * <p>
 * It knows, from the applied state of the groups this node holds replicas of, which local group
 * owns each partition, and hands a message for a partition to that group's loop; the group decides
 * whether it runs the turn (it leads and serves the partition), keeps it (its leadership is not
 * ready yet) or redirects it.
 */
final class AgentRuntime implements GroupListener, AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(AgentRuntime.class);

    private final String nodeId;
    private final long nodeKey;
    private final int partitionCount;
    private final AgentRegistry registry;
    private final NodeStore store;
    private final NodeMetrics metrics;
    private final Limits limits;
    private final RoutingTable routing;
    private final Router router;
    private final TurnLoop[] loops;
    private final List<AgentRunner> runners = new ArrayList<>();
    private final Map<Long, GroupRuntime> groups = new ConcurrentHashMap<>();
    private final AtomicReferenceArray<GroupRuntime> localOwners;
    private final Set<String> knownNodeIds = ConcurrentHashMap.newKeySet();
    private final List<String> initialMembers;
    private volatile RaftGroups raftGroups;
    private volatile Membership membership;

    AgentRuntime(
        final String nodeId,
        final int partitionCount,
        final int loopCount,
        final List<String> initialMembers,
        final AgentRegistry registry,
        final NodeStore store,
        final NodeMetrics metrics,
        final Limits limits,
        final ScheduledExecutorService scheduler)
    {
        this.nodeId = nodeId;
        this.nodeKey = NodeKeys.of(nodeId);
        this.partitionCount = partitionCount;
        this.initialMembers = List.copyOf(initialMembers);
        this.registry = registry;
        this.store = store;
        this.metrics = metrics;
        this.limits = limits;
        this.routing = new RoutingTable(partitionCount);
        this.router = new Router(this, scheduler);
        routing.onLeaderReplaced((group, previous) -> router.leaderReplaced(group, previous));
        this.localOwners = new AtomicReferenceArray<>(partitionCount);
        knownNodeIds.add(nodeId);
        knownNodeIds.addAll(initialMembers);
        this.loops = new TurnLoop[Math.max(1, loopCount)];
        for (int i = 0; i < loops.length; i++)
        {
            loops[i] = new TurnLoop(i, limits);
        }
        for (final TurnLoop loop : loops)
        {
            final AgentRunner runner = new AgentRunner(loop.idleStrategy(),
                ex -> LOG.error("turn loop error node={}", nodeId, ex), null, loop);
            runners.add(runner);
            AgentRunner.startOnThread(runner, r ->
            {
                final Thread thread = new Thread(r, loop.roleName() + "-" + nodeId);
                thread.setDaemon(true);
                return thread;
            });
        }
    }

    /**
     * The Raft groups are running: every replica they recovered before this point is now known.
     */
    void groups(final RaftGroups raftGroups)
    {
        this.raftGroups = raftGroups;
        for (final long group : raftGroups.hostedGroups())
        {
            groupRuntime(group);
        }
        for (int p = 0; p < partitionCount; p++)
        {
            recomputeOwner(p);
        }
    }

    Membership membership()
    {
        return membership;
    }

    void membership(final Membership membership)
    {
        this.membership = membership;
        publishClaims();
        publishHosted();
    }

    private final java.util.concurrent.ExecutorService queryExecutor =
        java.util.concurrent.Executors.newSingleThreadExecutor(r ->
        {
            final Thread thread = new Thread(r, "rookery-query");
            thread.setDaemon(true);
            return thread;
        });

    private final AgentQueries queries = new AgentQueries(this);

    /** @return the queries this node runs over the cluster's agents. */
    AgentQueries queries()
    {
        return queries;
    }

    String nodeId()
    {
        return nodeId;
    }

    long nodeKey()
    {
        return nodeKey;
    }

    int partitionCount()
    {
        return partitionCount;
    }

    AgentRegistry registry()
    {
        return registry;
    }

    NodeStore store()
    {
        return store;
    }

    NodeMetrics metrics()
    {
        return metrics;
    }

    Limits limits()
    {
        return limits;
    }

    RoutingTable routing()
    {
        return routing;
    }

    Router router()
    {
        return router;
    }

    /** @return the group replicas on this node, by key. */
    Map<Long, GroupRuntime> groupRuntimes()
    {
        return groups;
    }

    /** A node id seen in gossip or in the configuration: a candidate home for a group key. */
    void rememberNode(final String id)
    {
        knownNodeIds.add(id);
        routing.rememberNodeId(id);
    }

    /**
     * @param partition a partition.
     * @return the term in which this node serves it, or -1.
     */
    long servingTerm(final int partition)
    {
        for (final GroupRuntime group : groups.values())
        {
            final GroupClaim claim = group.claim();
            if (claim != null && java.util.Arrays.binarySearch(claim.partitions(), partition) >= 0)
            {
                return claim.term();
            }
        }
        return -1;
    }

    /**
     * @param partition a partition.
     * @return the key of the group this node serves it in, or 0 when it does not serve it.
     */
    long servingGroup(final int partition)
    {
        for (final GroupRuntime group : groups.values())
        {
            final GroupClaim claim = group.claim();
            if (claim != null && java.util.Arrays.binarySearch(claim.partitions(), partition) >= 0)
            {
                return claim.group();
            }
        }
        return 0;
    }

    /** @return how many partitions this node serves, over every group it leads. */
    int servedPartitions()
    {
        int served = 0;
        for (final GroupRuntime group : groups.values())
        {
            served += group.servingCount();
        }
        return served;
    }

    /** @return the claims of the groups this node leads and serves. */
    List<GroupClaim> claims()
    {
        final List<GroupClaim> claims = new ArrayList<>();
        for (final GroupRuntime group : groups.values())
        {
            final GroupClaim claim = group.claim();
            if (claim != null)
            {
                claims.add(claim);
            }
        }
        claims.sort((a, b) -> Long.compare(a.group(), b.group()));
        return claims;
    }

    /**
     * Hands a message to the loop of the local group owning its partition, or answers with a
     * redirect when no local group does, or refuses it when that loop is saturated.
     */
    void deliver(final Envelope envelope)
    {
        final GroupRuntime group = localOwners.get(envelope.partition);
        if (group == null)
        {
            metrics.redirects.inc();
            envelope.replier.reply(redirectFor(envelope.partition));
            return;
        }
        envelope.group = group;
        if (!group.loop().offer(envelope))
        {
            metrics.rejected.labelValues("loop_queue_full").inc();
            envelope.replier.reply(Response.error(Status.OVERLOADED,
                "node " + nodeId + " is saturated (turn queue full); retry later"));
        }
    }

    /**
     * @param partition a partition this node does not serve.
     * @return a redirect naming whoever this node believes serves it, if anyone other than itself.
     */
    Response redirectFor(final int partition)
    {
        final RoutingTable.Leader leader = routing.leader(partition);
        final String hint = nodeId.equals(leader.nodeId()) ? null : leader.nodeId();
        return Response.redirect(hint, leader.term());
    }

    /**
     * Sends an at-most-once message (to or from an ephemeral agent).
     */
    void sendAtMostOnce(final AgentId target, final byte[] payload, final AgentId sender)
    {
        final AgentType<?, ?> type = registry.find(target.type());
        if (type != null && type.durability() == Durability.EPHEMERAL)
        {
            router.tellEphemeral(target, payload, sender);
            return;
        }
        router.request(target, payload, RequestKind.TELL, sender, limits.requestTimeout())
            .thenAccept(response ->
            {
                if (!response.isOk())
                {
                    metrics.rejected.labelValues("agent_message_failed").inc();
                    LOG.debug("message {} -> {} failed: {} {}", sender, target, response.status(),
                        response.payloadText());
                }
            });
    }

    /**
     * An at-most-once message for an ephemeral agent of one of this node's partitions; nobody
     * waits for an answer, so a saturated loop drops it and counts it.
     *
     * @return whether the loop took it.
     */
    boolean deliverEphemeral(final Envelope envelope)
    {
        final GroupRuntime group = localOwners.get(envelope.partition);
        if (group == null)
        {
            metrics.ephemeralDropped("not_leader");
            return false;
        }
        envelope.group = group;
        if (!group.loop().offer(envelope))
        {
            metrics.rejected.labelValues("loop_queue_full").inc();
            metrics.ephemeralDropped("loop_queue_full");
            return false;
        }
        return true;
    }

    /**
     * A durable message for one of this node's partitions (from Aeron or from a local partition).
     */
    void deliverAgentMessage(final Envelope envelope)
    {
        final GroupRuntime group = localOwners.get(envelope.partition);
        if (group == null)
        {
            // Not acknowledged, so the source resends it later, to whoever serves it then.
            return;
        }
        envelope.group = group;
        if (!group.loop().offer(envelope))
        {
            metrics.rejected.labelValues("loop_queue_full").inc();
        }
    }

    /**
     * An acknowledgement for one of this node's partitions' outboxes.
     */
    void deliverAck(final int sourcePartition, final int targetPartition, final long sequence)
    {
        final GroupRuntime group = localOwners.get(sourcePartition);
        if (group != null)
        {
            group.loop().control(() -> group.onAck(sourcePartition, targetPartition, sequence));
        }
    }

    /**
     * A broadcast to every agent of a type in one of this node's partitions.
     */
    void broadcastLocal(
        final int partition, final String type, final byte[] payload, final String broadcastKey, final Replier replier)
    {
        final GroupRuntime group = localOwners.get(partition);
        if (group == null)
        {
            replier.reply(redirectFor(partition));
            return;
        }
        group.loop().control(() -> group.broadcast(partition, type, payload, broadcastKey, replier));
    }

    /**
     * A handoff chunk for a group this node holds a replica of; answered by that group's leader.
     */
    void deliverHandoffChunk(final GroupRuntime.HandoffChunk chunk, final Replier replier)
    {
        final GroupRuntime group = groups.get(chunk.targetGroup());
        if (group == null)
        {
            final RoutingTable.Leader leader = routing.groupLeader(chunk.targetGroup());
            replier.reply(Response.redirect(nodeId.equals(leader.nodeId()) ? null : leader.nodeId(), leader.term()));
            return;
        }
        group.loop().control(() -> group.onHandoffChunk(chunk, replier));
    }

    /**
     * Sends a handoff chunk to the leader of its target group, wherever it is.
     *
     * @return false when no leader of the target group is known; the answer goes to {@code onAnswer}.
     */
    boolean sendHandoffChunk(final GroupRuntime.HandoffChunk chunk, final Consumer<Response> onAnswer)
    {
        final String leader = routing.groupLeader(chunk.targetGroup()).nodeId();
        if (leader == null)
        {
            return false;
        }
        if (leader.equals(nodeId))
        {
            deliverHandoffChunk(chunk, onAnswer::accept);
            return true;
        }
        router.sendHandoff(leader, chunk, Duration.ofNanos(Handoff.REPLY_TIMEOUT_NS)).thenAccept(onAnswer);
        return true;
    }

    /**
     * Asks the group serving a partition here to hand it to another group.
     *
     * @return completes with null when the move started, else with the reason it did not.
     */
    CompletableFuture<String> requestMove(final int partition, final long targetGroup)
    {
        final GroupRuntime group = localOwners.get(partition);
        final CompletableFuture<String> started = new CompletableFuture<>();
        if (group == null)
        {
            started.complete("this node does not serve partition " + partition);
            return started;
        }
        group.loop().control(() -> started.complete(group.startMove(partition, targetGroup)));
        return started;
    }

    /**
     * @return what this node knows of a partition: routing, the local owner, and the leader state of
     * each local group replica, for diagnostics.
     */
    Map<String, Object> describePartition(final int partition)
    {
        final Map<String, Object> view = new java.util.LinkedHashMap<>();
        view.put("node", nodeId);
        view.put("partition", partition);
        final RoutingTable.Owner owner = routing.owner(partition);
        view.put("believedOwner", owner == null ? null : groupLabel(owner.group()) + "@" + owner.epoch());
        view.put("believedLeader", routing.leader(partition).nodeId());
        final GroupRuntime local = localOwners.get(partition);
        view.put("localOwner", local == null ? null : groupLabel(local.group));
        final List<Object> replicas = new ArrayList<>();
        for (final GroupRuntime group : groups.values())
        {
            final CompletableFuture<Map<String, Object>> described = new CompletableFuture<>();
            group.loop().control(() -> described.complete(group.describe(partition)));
            try
            {
                final Map<String, Object> replica = new java.util.LinkedHashMap<>(
                    described.get(5, java.util.concurrent.TimeUnit.SECONDS));
                replica.put("ownership", String.valueOf(ownership(group.group, partition)));
                replicas.add(replica);
            }
            catch (final Exception ex)
            {
                replicas.add(Map.of("group", groupLabel(group.group), "error", String.valueOf(ex)));
            }
        }
        view.put("replicas", replicas);
        return view;
    }

    CompletableFuture<ProposalResult> propose(final long group, final byte[] entry)
    {
        return raftGroups.propose(group, entry);
    }

    /**
     * Linearizable read of an agent's committed state on this node, which must lead the group owning
     * the partition.
     */
    CompletableFuture<Response> readLocal(final AgentId id, final int partition)
    {
        final AgentType<?, ?> type = registry.find(id.type());
        if (type == null)
        {
            return CompletableFuture.completedFuture(Response.error(Status.UNKNOWN_TYPE,
                "unknown agent type '" + id.type() + "'; known: " + registry.names()));
        }
        final GroupRuntime group = localOwners.get(partition);
        final RaftGroups raft = raftGroups;
        if (group == null || raft == null)
        {
            return CompletableFuture.completedFuture(redirectFor(partition));
        }
        return raft.read(group.group, partition, KeySpaces.stateKey(id)).thenApply(result -> switch (result.status())
        {
            case FOUND -> Response.ok(renderState(id, type, result.value(), partition));
            case MISSING -> Response.ok(renderState(id, type, null, partition));
            case NOT_LEADER -> Response.redirect(nodeId.equals(result.leaderHint()) ? null : result.leaderHint(), -1);
            // Nothing was read: the router asks again, at whoever serves by then.
            case NOT_OWNER, RETRY -> Response.redirect(null, -1);
            case FAILED -> Response.error(Status.UNAVAILABLE, "read failed: " + result.detail());
        });
    }

    /**
     * Answers a query over one partition's agents of a type, on this node as the partition's
     * leader: pages of committed state read through Raft (linearizable), each state decoded and
     * tested here, so only matches or an aggregate travel to the node that asked.
     *
     * @param partition  the partition.
     * @param typeName   the agent type.
     * @param query      the query as JSON ({@link PartitionQuery}).
     * @param deadlineMs when the asking node gives up.
     * @return the partition's answer, or a redirect when this node does not serve it.
     */
    CompletableFuture<Response> queryLocal(final int partition, final String typeName, final byte[] query,
        final long deadlineMs)
    {
        final AgentType<?, ?> type = registry.find(typeName);
        if (type == null)
        {
            return CompletableFuture.completedFuture(Response.error(Status.UNKNOWN_TYPE,
                "unknown agent type '" + typeName + "'; known: " + registry.names()));
        }
        if (type.durability() != Durability.DURABLE)
        {
            return CompletableFuture.completedFuture(Response.error(Status.BAD_REQUEST,
                "agents of the ephemeral type '" + typeName + "' keep no state to query"));
        }
        final GroupRuntime group = localOwners.get(partition);
        final RaftGroups raft = raftGroups;
        if (group == null || raft == null)
        {
            return CompletableFuture.completedFuture(redirectFor(partition));
        }
        final PartitionQuery.Spec spec;
        try
        {
            spec = PartitionQuery.Spec.parse(query);
        }
        catch (final IllegalArgumentException ex)
        {
            return CompletableFuture.completedFuture(Response.error(Status.BAD_REQUEST, ex.getMessage()));
        }
        return new PartitionQuery(this, raft, group.group, partition, type, spec, deadlineMs).run();
    }

    /**
     * @return the JSON of a stored state as the active version of its type reads it.
     */
    @SuppressWarnings("unchecked")
    byte[] stateJson(final AgentId id, final AgentType<?, ?> type, final byte[] value)
    {
        final String writtenBy = StoredState.writtenBy(value);
        final byte[] state = StoredState.state(value);
        final AgentType<Object, Object> t = (AgentType<Object, Object>)type;
        // State an earlier version wrote is shown as the active version reads it.
        return java.util.Objects.equals(writtenBy, registry.versionOf(type)) ? t.stateCodec().toJson(state) :
            t.stateCodec().toJson(t.stateCodec().encode(t.migrate(id, writtenBy, state)));
    }

    private byte[] renderState(
        final AgentId id, final AgentType<?, ?> type, final byte[] value, final int partition)
    {
        final byte[] stateJson = value == null ? renderInitial(id, type) : stateJson(id, type, value);
        final String head = "{\"type\":" + new String(Codecs.toJson(id.type()), StandardCharsets.UTF_8) +
            ",\"key\":" + new String(Codecs.toJson(id.key()), StandardCharsets.UTF_8) +
            ",\"partition\":" + partition + ",\"exists\":" + (value != null) + ",\"state\":";
        final byte[] headBytes = head.getBytes(StandardCharsets.UTF_8);
        final byte[] out = new byte[headBytes.length + stateJson.length + 1];
        System.arraycopy(headBytes, 0, out, 0, headBytes.length);
        System.arraycopy(stateJson, 0, out, headBytes.length, stateJson.length);
        out[out.length - 1] = '}';
        return out;
    }

    @SuppressWarnings("unchecked")
    private static byte[] renderInitial(final AgentId id, final AgentType<?, ?> type)
    {
        final AgentType<Object, Object> t = (AgentType<Object, Object>)type;
        return t.stateCodec().toJson(t.stateCodec().encode(t.initialState(id)));
    }

    boolean isLeaderAwaitingReadiness(final long group)
    {
        final RaftGroups raft = raftGroups;
        return raft != null && raft.leaderAwaitingReadiness(group);
    }

    long readyLeaderTerm(final long group)
    {
        final RaftGroups raft = raftGroups;
        return raft == null ? -1 : raft.readyLeaderTerm(group);
    }

    Ownership ownership(final long group, final int partition)
    {
        final RaftGroups raft = raftGroups;
        return raft == null ? null : raft.ownership(group, partition);
    }

    Map<Integer, Ownership> ownershipOf(final long group)
    {
        final RaftGroups raft = raftGroups;
        return raft == null ? Map.of() : raft.ownership(group);
    }

    boolean retired(final long group)
    {
        final RaftGroups raft = raftGroups;
        return raft != null && raft.retired(group);
    }

    /** @return the group's name once its genesis is applied here, else null. */
    String groupName(final long group)
    {
        final RaftGroups raft = raftGroups;
        return raft == null ? null : raft.name(group);
    }

    /** @return "g-" and the group's home node, or the key in hex when the home is not known. */
    String groupLabel(final long group)
    {
        final String name = groupName(group);
        if (name != null)
        {
            return "g-" + name;
        }
        final String home = homeNodeOf(group);
        return home != null ? "g-" + home : GroupKeys.hex(group);
    }

    /**
     * @param group a group's key.
     * @return the id of the node the group is named after, among the nodes this node has heard of.
     */
    String homeNodeOf(final long group)
    {
        for (final String id : knownNodeIds)
        {
            if (GroupKeys.of(id) == group)
            {
                return id;
            }
        }
        return null;
    }

    /**
     * @param group a group's key.
     * @return the partitions the group owns from its genesis: its share of the initial assignment when
     * it is the group of an initial member and this replica was created as the cluster formed, else none.
     */
    List<Integer> initialPartitionsOf(final long group)
    {
        final RaftGroups raft = raftGroups;
        if (initialMembers.isEmpty() || raft == null || !raft.formedAtBootstrap(group))
        {
            return List.of();
        }
        final List<Long> initialGroups = initialMembers.stream().map(GroupKeys::of).toList();
        if (!initialGroups.contains(group))
        {
            return List.of();
        }
        return PartitionAssignment.partitionsOf(PartitionAssignment.of(partitionCount, initialGroups), group);
    }

    /** @return the initial members this node was started with. */
    List<String> initialMembers()
    {
        return initialMembers;
    }

    /**
     * A group runtime changed what it serves: republish this node's claims and routing.
     */
    void onLocalLeadershipChanged(final GroupRuntime group)
    {
        final GroupClaim claim = group.claim();
        if (claim != null)
        {
            routing.observeLeader(group.group, nodeId, claim.term());
            for (int i = 0; i < claim.size(); i++)
            {
                routing.observeOwner(claim.partitions()[i], group.group, claim.epochs()[i]);
            }
        }
        else
        {
            routing.forgetLeader(group.group, nodeId);
        }
        publishClaims();
    }

    private void publishClaims()
    {
        final Membership membership = this.membership;
        if (membership != null)
        {
            final List<GroupClaim> claims = claims();
            membership.updateLocal(m -> m.withLeads(claims));
        }
    }

    private void publishHosted()
    {
        final Membership membership = this.membership;
        final RaftGroups raft = this.raftGroups;
        if (membership != null && raft != null)
        {
            final Set<Long> hosted = raft.hostedGroups();
            membership.updateLocal(m -> m.withHostedGroups(hosted));
        }
    }

    private GroupRuntime groupRuntime(final long group)
    {
        return groups.computeIfAbsent(group, g ->
        {
            TurnLoop least = loops[0];
            for (final TurnLoop loop : loops)
            {
                if (loop.groupCount() < least.groupCount())
                {
                    least = loop;
                }
            }
            final GroupRuntime runtime = new GroupRuntime(g, this, least);
            least.adopt(runtime);
            return runtime;
        });
    }

    /**
     * Points a partition at the local group whose applied state says it owns it (the highest epoch
     * among this node's replicas), or at one that sealed it and still redirects for it.
     */
    private synchronized void recomputeOwner(final int partition)
    {
        final RaftGroups raft = raftGroups;
        if (raft == null)
        {
            return;
        }
        GroupRuntime best = null;
        long bestEpoch = -1;
        for (final GroupRuntime group : groups.values())
        {
            final Ownership ownership = raft.ownership(group.group, partition);
            if (ownership == null)
            {
                continue;
            }
            final boolean candidate = ownership.owned() || ownership.state() == Ownership.State.SEALED;
            if (candidate && ownership.epoch() > bestEpoch)
            {
                best = group;
                bestEpoch = ownership.epoch();
            }
            if (ownership.owned())
            {
                routing.observeOwner(partition, group.group, ownership.epoch());
            }
            else if (ownership.state() == Ownership.State.RELEASED)
            {
                routing.observeOwner(partition, ownership.peerGroup(), ownership.epoch());
            }
        }
        localOwners.set(partition, best);
    }

    public void onLeaderChanged(final long group, final String leaderNodeId)
    {
        final RaftGroups raft = raftGroups;
        final long term = raft == null ? -1 : raft.currentTerm(group);
        if (leaderNodeId != null)
        {
            routing.observeLeader(group, leaderNodeId, term);
        }
        metrics.leaderChanges.labelValues("observed").inc();
        final GroupRuntime runtime = groups.get(group);
        if (runtime != null)
        {
            runtime.loop().control(() -> runtime.onLeaderChanged(leaderNodeId));
        }
    }

    public void onLeaderReady(final long group)
    {
        final GroupRuntime runtime = groups.get(group);
        if (runtime != null)
        {
            runtime.loop().control(runtime::onLeaderReady);
        }
    }

    public void onReplicaChanged(final long group, final boolean hosted)
    {
        if (hosted)
        {
            if (raftGroups != null)
            {
                groupRuntime(group);
            }
        }
        else
        {
            final GroupRuntime runtime = groups.remove(group);
            if (runtime != null)
            {
                runtime.loop().drop(runtime);
                for (int p = 0; p < partitionCount; p++)
                {
                    if (localOwners.get(p) == runtime)
                    {
                        recomputeOwner(p);
                    }
                }
                publishClaims();
            }
        }
        publishHosted();
    }

    public void onOwnershipChanged(final long group, final int partition, final Ownership ownership)
    {
        recomputeOwner(partition);
        final GroupRuntime runtime = groups.get(group);
        if (runtime != null)
        {
            runtime.loop().control(() -> runtime.onOwnershipChanged(partition, ownership));
        }
    }

    public void onOwnershipReloaded(final long group)
    {
        if (raftGroups == null)
        {
            return;
        }
        groupRuntime(group);
        for (int p = 0; p < partitionCount; p++)
        {
            recomputeOwner(p);
        }
        final GroupRuntime runtime = groups.get(group);
        if (runtime != null)
        {
            runtime.loop().control(runtime::onOwnershipReloaded);
        }
    }

    /** @return the node ids this node has heard of. */
    Collection<String> knownNodeIds()
    {
        return knownNodeIds;
    }

    /**
     * Stops the loops; whatever they still hold is answered as unavailable.
     */
    public void close()
    {
        CloseHelper.closeAll(runners);
        router.failAll("node " + nodeId + " is shutting down");
        queryExecutor.shutdownNow();
    }

    /**
     * @return the one thread this node decodes and tests the states of queries on, off the Raft
     * and transport threads that deliver the pages.
     */
    java.util.concurrent.Executor queryExecutor()
    {
        return queryExecutor;
    }

    /**
     * Limits that keep every queue and buffer bounded.
     *
     * @param maxPayloadBytes      largest message payload accepted.
     * @param maxStateBytes        largest encoded agent state.
     * @param maxBatchTurns        turns per log entry before the batch is sealed.
     * @param maxBatchBytes        bytes per log entry before the batch is sealed.
     * @param maxParkedPerGroup    messages that may wait on a group that is busy or changing leader.
     * @param loopQueueCapacity    messages that may wait for a turn loop.
     * @param requestTimeout       default deadline of a request.
     * @param passivateAfter       idle time after which an agent's in-memory activation is dropped.
     * @param idleSpins            busy spins of an idle turn loop before it parks.
     * @param resendAfter          time after which unacknowledged durable messages are sent again.
     * @param maxOutboxMessages    unacknowledged durable messages a partition may hold.
     * @param idempotencyRetention how long the reply to a request with an idempotency key is kept.
     * @param maxHandoffsPerGroup  partitions a group's leader hands over at once.
     * @param handoffChunkBytes    size a handoff chunk stays under (one log entry, one frame).
     */
    record Limits(
        int maxPayloadBytes,
        int maxStateBytes,
        int maxBatchTurns,
        int maxBatchBytes,
        int maxParkedPerGroup,
        int loopQueueCapacity,
        Duration requestTimeout,
        Duration passivateAfter,
        int idleSpins,
        Duration resendAfter,
        int maxOutboxMessages,
        Duration idempotencyRetention,
        int maxHandoffsPerGroup,
        int handoffChunkBytes)
    {
    }
}
