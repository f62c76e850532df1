package io.rookery.node;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLongArray;

import io.rookery.api.AgentId;
import io.rookery.api.AgentType;
import io.rookery.api.Codecs;
import io.rookery.api.Durability;
import io.rookery.gossip.Membership;
import io.rookery.gossip.NodeMetadata;
import io.rookery.raft.PartitionGroups;
import io.rookery.raft.PartitionListener;
import io.rookery.raft.ProposalResult;
import io.rookery.storage.NodeStore;
import io.rookery.transport.codecs.RequestKind;
import io.rookery.transport.codecs.Status;
import org.agrona.CloseHelper;
import org.agrona.concurrent.AgentRunner;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent runtime of a node: its partition loops, its routing table and its router, and the
 * glue between them and the Raft groups (it is their {@link PartitionListener}).
 */
final class AgentRuntime implements PartitionListener, AutoCloseable
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
    private final PartitionLoop[] loops;
    private final List<AgentRunner> runners = new ArrayList<>();
    private final AtomicLongArray ledTerms;
    private volatile PartitionGroups groups;
    private volatile Membership membership;

    AgentRuntime(
        final String nodeId,
        final int partitionCount,
        final int loopCount,
        final AgentRegistry registry,
        final NodeStore store,
        final NodeMetrics metrics,
        final Limits limits,
        final ScheduledExecutorService scheduler)
    {
        this.nodeId = nodeId;
        this.nodeKey = NodeKeys.of(nodeId);
        this.partitionCount = partitionCount;
        this.registry = registry;
        this.store = store;
        this.metrics = metrics;
        this.limits = limits;
        this.routing = new RoutingTable(partitionCount);
        this.router = new Router(this, scheduler);
        this.ledTerms = new AtomicLongArray(partitionCount);
        for (int p = 0; p < partitionCount; p++)
        {
            ledTerms.set(p, NodeMetadata.NOT_LEADER);
        }
        this.loops = new PartitionLoop[Math.min(loopCount, partitionCount)];
        for (int i = 0; i < loops.length; i++)
        {
            loops[i] = new PartitionLoop(i, this, partitionCount, loops.length);
        }
        for (final PartitionLoop loop : loops)
        {
            final AgentRunner runner = new AgentRunner(loop.idleStrategy(),
                ex -> LOG.error("partition loop error node={}", nodeId, ex), null, loop);
            runners.add(runner);
            AgentRunner.startOnThread(runner, r ->
            {
                final Thread thread = new Thread(r, loop.roleName() + "-" + nodeId);
                thread.setDaemon(true);
                return thread;
            });
        }
    }

    void groups(final PartitionGroups groups)
    {
        this.groups = groups;
    }

    void membership(final Membership membership)
    {
        this.membership = membership;
        publishLeadership();
        publishHosted();
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

    PartitionLoop loopOf(final int partition)
    {
        return loops[partition % loops.length];
    }

    long ledTerm(final int partition)
    {
        return ledTerms.get(partition);
    }

    /**
     * Hands a message to the loop of its partition, or refuses it when that loop is saturated.
     */
    void deliver(final Envelope envelope)
    {
        if (!loopOf(envelope.partition).offer(envelope))
        {
            metrics.rejected.labelValues("loop_queue_full").inc();
            envelope.replier.reply(Response.error(Status.OVERLOADED,
                "node " + nodeId + " is saturated (partition queue full); retry later"));
        }
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
        if (!loopOf(envelope.partition).offer(envelope))
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
        if (!loopOf(envelope.partition).offer(envelope))
        {
            // Not acknowledged, so the source resends it later.
            metrics.rejected.labelValues("loop_queue_full").inc();
        }
    }

    /**
     * An acknowledgement for one of this node's partitions' outboxes.
     */
    void deliverAck(final int sourcePartition, final int targetPartition, final long sequence)
    {
        final PartitionLoop loop = loopOf(sourcePartition);
        loop.control(() -> loop.partition(sourcePartition).onAck(targetPartition, sequence));
    }

    /**
     * A broadcast to every agent of a type in one of this node's partitions.
     */
    void broadcastLocal(
        final int partition, final String type, final byte[] payload, final String broadcastKey, final Replier replier)
    {
        final PartitionLoop loop = loopOf(partition);
        loop.control(() -> loop.partition(partition).broadcast(type, payload, broadcastKey, replier));
    }

    CompletableFuture<ProposalResult> propose(final int partition, final byte[] entry)
    {
        return groups.propose(partition, entry);
    }

    /**
     * Linearizable read of an agent's committed state on this node, which must lead the partition.
     */
    CompletableFuture<Response> readLocal(final AgentId id, final int partition)
    {
        final AgentType<?, ?> type = registry.find(id.type());
        if (type == null)
        {
            return CompletableFuture.completedFuture(Response.error(Status.UNKNOWN_TYPE,
                "unknown agent type '" + id.type() + "'; known: " + registry.names()));
        }
        final PartitionGroups groups = this.groups;
        if (groups == null || !groups.hosts(partition))
        {
            return CompletableFuture.completedFuture(Response.redirect(routing.leader(partition).nodeId(), -1));
        }
        return groups.read(partition, KeySpaces.stateKey(id)).handle((value, ex) ->
        {
            if (ex != null)
            {
                final Throwable cause = ex instanceof CompletionException && ex.getCause() != null ? ex.getCause() : ex;
                if (cause instanceof NotLeaderException notLeader)
                {
                    final String hint = notLeader.getSuggestedLeader() == null ? null :
                        notLeader.getSuggestedLeader().getId().toString();
                    return Response.redirect(hint, -1);
                }
                if (PartitionGroups.isRetryableReadFailure(cause))
                {
                    // Nothing was read: the router asks again, at whoever leads by then.
                    return Response.redirect(null, -1);
                }
                return Response.error(Status.UNAVAILABLE, "read failed: " + cause.getMessage());
            }
            return Response.ok(renderState(id, type, value, partition));
        });
    }

    private static byte[] renderState(
        final AgentId id, final AgentType<?, ?> type, final Optional<byte[]> value, final int partition)
    {
        final byte[] stateJson = value.isPresent() ? type.stateCodec().toJson(value.get()) :
            renderInitial(id, type);
        final String head = "{\"type\":" + new String(Codecs.toJson(id.type()), StandardCharsets.UTF_8) +
            ",\"key\":" + new String(Codecs.toJson(id.key()), StandardCharsets.UTF_8) +
            ",\"partition\":" + partition + ",\"exists\":" + value.isPresent() + ",\"state\":";
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

    boolean isLeaderAwaitingReadiness(final int partition)
    {
        final PartitionGroups groups = this.groups;
        if (groups == null)
        {
            return false;
        }
        return groups.leaderAwaitingReadiness(partition);
    }

    long readyLeaderTerm(final int partition)
    {
        final PartitionGroups groups = this.groups;
        return groups == null ? -1 : groups.readyLeaderTerm(partition);
    }

    void onLocalLeadership(final int partition, final long term)
    {
        ledTerms.set(partition, term);
        routing.observe(partition, nodeId, term);
        publishLeadership();
    }

    void onLocalLeadershipLost(final int partition)
    {
        ledTerms.set(partition, NodeMetadata.NOT_LEADER);
        routing.forget(partition, nodeId);
        publishLeadership();
    }

    private void publishLeadership()
    {
        final Membership membership = this.membership;
        if (membership == null)
        {
            return;
        }
        final long[] terms = new long[partitionCount];
        for (int p = 0; p < partitionCount; p++)
        {
            terms[p] = ledTerms.get(p);
        }
        membership.updateLocal(m -> m.withLeaderTerms(terms));
    }

    public void onLeaderChanged(final int partition, final String leaderNodeId)
    {
        final PartitionGroups groups = this.groups;
        final long term = groups == null ? -1 : groups.currentTerm(partition);
        if (leaderNodeId != null)
        {
            routing.observe(partition, leaderNodeId, term);
        }
        metrics.leaderChanges.labelValues("observed").inc();
        loopOf(partition).control(() -> loopOf(partition).partition(partition).onLeaderChanged(leaderNodeId));
    }

    public void onReplicaChanged(final int partition, final boolean hosted)
    {
        if (!hosted)
        {
            loopOf(partition).control(() -> loopOf(partition).partition(partition).onLeaderChanged(null));
        }
        publishHosted();
    }

    private void publishHosted()
    {
        final Membership membership = this.membership;
        final PartitionGroups groups = this.groups;
        if (membership != null && groups != null)
        {
            membership.updateLocal(m -> m.withHosted(groups.hostedPartitions()));
        }
    }

    public void onLeaderReady(final int partition)
    {
        loopOf(partition).control(() -> loopOf(partition).partition(partition).onLeaderReady());
    }

    /**
     * Stops the loops; whatever they still hold is answered as unavailable.
     */
    public void close()
    {
        CloseHelper.closeAll(runners);
        router.failAll("node " + nodeId + " is shutting down");
    }

    /**
     * Limits that keep every queue and buffer bounded.
     *
     * @param maxPayloadBytes       largest message payload accepted.
     * @param maxStateBytes         largest encoded agent state.
     * @param maxBatchTurns         turns per log entry before the batch is sealed.
     * @param maxBatchBytes         bytes per log entry before the batch is sealed.
     * @param maxParkedPerPartition messages that may wait on a partition that is busy or changing leader.
     * @param loopQueueCapacity     messages that may wait for a partition loop.
     * @param requestTimeout        default deadline of a request.
     * @param passivateAfter        idle time after which an agent's in-memory activation is dropped.
     * @param idleSpins             busy spins of an idle partition loop before it parks.
     * @param resendAfter           time after which unacknowledged durable messages are sent again.
     * @param maxOutboxMessages     unacknowledged durable messages a partition may hold.
     * @param idempotencyRetention  how long the reply to a request with an idempotency key is kept.
     */
    record Limits(
        int maxPayloadBytes,
        int maxStateBytes,
        int maxBatchTurns,
        int maxBatchBytes,
        int maxParkedPerPartition,
        int loopQueueCapacity,
        Duration requestTimeout,
        Duration passivateAfter,
        int idleSpins,
        Duration resendAfter,
        int maxOutboxMessages,
        Duration idempotencyRetention)
    {
    }
}
