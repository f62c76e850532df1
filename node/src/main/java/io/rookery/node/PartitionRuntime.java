package io.rookery.node;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;

import io.rookery.api.AgentException;
import io.rookery.api.AgentId;
import io.rookery.api.AgentType;
import io.rookery.api.CodecException;
import io.rookery.api.Durability;
import io.rookery.raft.LogEntry;
import io.rookery.raft.ProposalResult;
import io.rookery.transport.LogLimiter;
import io.rookery.transport.codecs.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One partition on one node, driven only by its {@link PartitionLoop}'s thread.
 * <p>
 * While this node leads the partition (mode ACTIVE) messages run as turns at once against the
 * agents' in-memory state. A turn's effects join the partition's pending batch; when no entry is
 * in flight the pending batch is proposed to Raft as one log entry (group commit), and the next
 * batch gathers meanwhile. Replies and outgoing messages are held with their batch and released
 * only after its entry commits (output commit).
 * <p>
 * If an entry does not commit (leadership lost, fenced, or outcome unknown), every turn computed
 * on top of it is void: the in-memory state is dropped and, if still leader, the partition
 * commits an empty barrier entry before serving again, so that whatever the uncertain entry
 * became is applied to the local store first (mode RESYNC).
 */
final class PartitionRuntime
{
    private static final Logger LOG = LoggerFactory.getLogger(PartitionRuntime.class);
    private static final byte[] EMPTY = new byte[0];
    private static final long ROLE_POLL_NS = TimeUnit.MILLISECONDS.toNanos(250);
    private static final long SWEEP_NS = TimeUnit.SECONDS.toNanos(1);
    private static final long RESEND_CHECK_NS = TimeUnit.MILLISECONDS.toNanos(200);
    private static final long MIN_BARRIER_BACKOFF_NS = TimeUnit.MILLISECONDS.toNanos(20);
    private static final long MAX_BARRIER_BACKOFF_NS = TimeUnit.SECONDS.toNanos(1);
    private static final long IDEMPOTENCY_SWEEP_MS = TimeUnit.SECONDS.toMillis(30);

    enum Mode
    {
        FOLLOWER, ACTIVE, RESYNC
    }

    private static final class Activation
    {
        final AgentType<Object, Object> type;
        Object state;
        long lastSeq;
        long lastUsedNs;

        Activation(final AgentType<Object, Object> type, final Object state)
        {
            this.type = type;
            this.state = state;
        }
    }

    /**
     * Something a turn produced that may leave the node only once its entry commits.
     */
    private sealed interface Output permits Reply, Transmit, Ack, Tell
    {
    }

    /** The answer to whoever is waiting on the message. */
    private record Reply(Replier replier, Response response) implements Output
    {
    }

    /** A durable message written to the outbox: sent for the first time. */
    private record Transmit(OutboxMessage message) implements Output
    {
    }

    /** The acknowledgement of a consumed durable message. */
    private record Ack(int sourcePartition, long sequence) implements Output
    {
    }

    /** An at-most-once message (to or from an ephemeral agent). */
    private record Tell(AgentId target, byte[] payload, AgentId sender) implements Output
    {
    }

    private record TimerId(AgentId agent, String name)
    {
    }

    private static final class Timer
    {
        final TimerId id;
        final long dueMillis;
        final byte[] payload;

        Timer(final TimerId id, final long dueMillis, final byte[] payload)
        {
            this.id = id;
            this.dueMillis = dueMillis;
            this.payload = payload;
        }

        byte[] storeKey()
        {
            return KeySpaces.timerKey(dueMillis, id.agent(), id.name());
        }
    }

    private static final class Batch
    {
        final long seq;
        final long term;
        final LogEntry entry;
        final List<Output> outputs = new ArrayList<>();
        final List<long[]> consumed = new ArrayList<>();
        final List<String> idempotent = new ArrayList<>();
        final boolean barrier;
        int turns;
        long proposedNs;

        Batch(final long seq, final long term, final LogEntry entry, final boolean barrier)
        {
            this.seq = seq;
            this.term = term;
            this.entry = entry;
            this.barrier = barrier;
        }
    }

    private final int partition;
    private final AgentRuntime runtime;
    private final PartitionLoop loop;
    private final Map<AgentId, Activation> agents = new HashMap<>();
    private final Map<AgentId, Activation> ephemeralAgents = new HashMap<>();
    private final ArrayDeque<Envelope> parked = new ArrayDeque<>();
    private final PriorityQueue<Timer> timers = new PriorityQueue<>(Comparator.comparingLong((Timer t) -> t.dueMillis));
    private final Map<TimerId, Timer> timersById = new HashMap<>();
    private final LogLimiter errorLog = new LogLimiter(10, TimeUnit.SECONDS);
    private final LogLimiter deadLetterLog = new LogLimiter(10, TimeUnit.SECONDS);
    private final PartitionMessaging messaging;
    private final String partitionLabel;
    private final Map<String, Response> idempotentPending = new HashMap<>();
    private long nextResendCheckNs;
    private long nextBarrierNs;
    private long barrierBackoffNs;
    private final LogLimiter resyncLog = new LogLimiter(5, TimeUnit.SECONDS);
    private long nextIdempotencySweepMs;
    private Mode mode = Mode.FOLLOWER;
    private long term = -1;
    private Batch pending;
    private Batch inFlight;
    private long nextSeq = 1;
    private long committedSeq;
    private long nextRolePollNs;
    private long nextSweepNs;

    PartitionRuntime(final int partition, final AgentRuntime runtime, final PartitionLoop loop)
    {
        this.partition = partition;
        this.runtime = runtime;
        this.loop = loop;
        this.messaging = new PartitionMessaging(partition, runtime.store());
        this.partitionLabel = Integer.toString(partition);
    }

    Mode mode()
    {
        return mode;
    }

    long term()
    {
        return term;
    }

    int activeAgents()
    {
        return agents.size() + ephemeralAgents.size();
    }

    void deliver(final Envelope envelope)
    {
        if (!parked.isEmpty())
        {
            park(envelope);
            return;
        }
        switch (mode)
        {
            case ACTIVE ->
            {
                if (mustWaitForCommit())
                {
                    park(envelope);
                }
                else
                {
                    turn(envelope);
                }
            }
            case RESYNC -> park(envelope);
            case FOLLOWER ->
            {
                if (runtime.isLeaderAwaitingReadiness(partition))
                {
                    park(envelope);
                }
                else
                {
                    redirect(envelope);
                }
            }
            default -> throw new IllegalStateException("mode " + mode);
        }
    }

    int doWork(final long nowNs)
    {
        int work = 0;
        if (mode == Mode.ACTIVE)
        {
            while (!parked.isEmpty() && !mustWaitForCommit())
            {
                turn(parked.poll());
                work++;
            }
            while (parked.isEmpty() && !timers.isEmpty() && timers.peek().dueMillis <= loop.nowMs() &&
                !mustWaitForCommit())
            {
                final Timer timer = timers.poll();
                timersById.remove(timer.id, timer);
                turn(Envelope.timer(timer.id.agent(), partition, timer.payload, timer.storeKey()));
                work++;
            }
            if (nowNs - nextResendCheckNs >= 0)
            {
                nextResendCheckNs = nowNs + RESEND_CHECK_NS;
                work += messaging.resendDue(nowNs, runtime.limits().resendAfter().toNanos(), 1024,
                    message -> runtime.router().sendAgentMessage(partition, term, message));
            }
            if (loop.nowMs() >= nextIdempotencySweepMs && !mustWaitForCommit())
            {
                nextIdempotencySweepMs = loop.nowMs() + IDEMPOTENCY_SWEEP_MS;
                work += sweepExpiredIdempotencyKeys(loop.nowMs());
            }
            if (inFlight == null && pending != null)
            {
                propose(pending, nowNs);
                work++;
            }
        }
        else if (mode == Mode.RESYNC && inFlight == null && nowNs - nextBarrierNs >= 0)
        {
            propose(new Batch(nextSeq++, term, new LogEntry(partition, term), true), nowNs);
            work++;
        }
        else if (mode == Mode.FOLLOWER && nowNs - nextRolePollNs >= 0)
        {
            // Self-heal: a leadership this node holds but missed an event for is picked up here.
            nextRolePollNs = nowNs + ROLE_POLL_NS;
            final long readyTerm = runtime.readyLeaderTerm(partition);
            if (readyTerm >= 0)
            {
                becomeActive(readyTerm);
                work++;
            }
            else if (!parked.isEmpty() && !runtime.isLeaderAwaitingReadiness(partition))
            {
                while (!parked.isEmpty())
                {
                    redirect(parked.poll());
                }
                work++;
            }
        }
        if (nowNs - nextSweepNs >= 0)
        {
            nextSweepNs = nowNs + SWEEP_NS;
            work += passivateIdle(nowNs);
        }
        return work;
    }

    void onLeaderReady()
    {
        final long readyTerm = runtime.readyLeaderTerm(partition);
        if (readyTerm < 0 || (mode != Mode.FOLLOWER && readyTerm == term))
        {
            return;
        }
        becomeActive(readyTerm);
    }

    void onLeaderChanged(final String leaderNodeId)
    {
        if (mode != Mode.FOLLOWER && !runtime.nodeId().equals(leaderNodeId))
        {
            becomeFollower();
        }
    }

    void close()
    {
        final Response stopping = Response.error(Status.UNAVAILABLE, "node is shutting down");
        failBatch(pending, stopping);
        failBatch(inFlight, stopping);
        pending = null;
        inFlight = null;
        while (!parked.isEmpty())
        {
            parked.poll().replier.reply(stopping);
        }
        agents.clear();
        ephemeralAgents.clear();
    }

    /**
     * Whether the next turn has to wait: the pending batch is full. A full batch with nothing in
     * flight is proposed here and then, so a batch never grows past its limits however many
     * envelopes arrive between two calls of {@link #doWork(long)}.
     */
    private boolean mustWaitForCommit()
    {
        if (pending == null || !isFull(pending))
        {
            return false;
        }
        if (inFlight == null)
        {
            propose(pending, loop.nowNs());
            return false;
        }
        return true;
    }

    private boolean isFull(final Batch batch)
    {
        return batch.turns >= runtime.limits().maxBatchTurns() ||
            batch.entry.size() >= LogEntry.MAX_OPS / 2 ||
            batch.entry.encodedLength() >= runtime.limits().maxBatchBytes();
    }

    private void park(final Envelope envelope)
    {
        if (!refusedForBacklog(envelope.replier))
        {
            parked.add(envelope);
        }
    }

    /**
     * Refuses a request, counted, when the partition's backlog of waiting messages is full.
     *
     * @return whether it was refused.
     */
    private boolean refusedForBacklog(final Replier replier)
    {
        if (parked.size() < runtime.limits().maxParkedPerPartition())
        {
            return false;
        }
        runtime.metrics().rejected.labelValues("partition_backlog_full").inc();
        replier.reply(Response.error(Status.OVERLOADED,
            "partition " + partition + " has " + parked.size() + " messages waiting; retry later"));
        return true;
    }

    private void redirect(final Envelope envelope)
    {
        if (envelope.replier == Replier.NONE && envelope.sequence <= 0)
        {
            // An at-most-once message that reached a former leader: nobody waits for it.
            runtime.metrics().ephemeralDropped("not_leader");
            return;
        }
        runtime.metrics().redirects.inc();
        final RoutingTable.Leader leader = runtime.routing().leader(partition);
        final String hint = runtime.nodeId().equals(leader.nodeId()) ? null : leader.nodeId();
        envelope.replier.reply(Response.redirect(hint, leader.term()));
    }

    private void becomeActive(final long newTerm)
    {
        failBatch(pending, Response.redirect(null, newTerm));
        pending = null;
        agents.clear();
        ephemeralAgents.clear();
        term = newTerm;
        mode = Mode.ACTIVE;
        loadCommittedState();
        runtime.metrics().leaderChanges.labelValues("gained").inc();
        runtime.onLocalLeadership(partition, newTerm);
        LOG.info("partition={} leader ready term={} node={}", partition, newTerm, runtime.nodeId());
    }

    private void becomeFollower()
    {
        final RoutingTable.Leader leader = runtime.routing().leader(partition);
        final String hint = runtime.nodeId().equals(leader.nodeId()) ? null : leader.nodeId();
        failBatch(pending, Response.redirect(hint, leader.term()));
        pending = null;
        agents.clear();
        ephemeralAgents.clear();
        clearTimers();
        messaging.clear();
        idempotentPending.clear();
        mode = Mode.FOLLOWER;
        LOG.info("partition={} leadership lost term={} node={} newLeader={}", partition, term, runtime.nodeId(), hint);
        term = -1;
        runtime.metrics().leaderChanges.labelValues("lost").inc();
        runtime.onLocalLeadershipLost(partition);
        while (!parked.isEmpty())
        {
            redirect(parked.poll());
        }
    }

    private void enterResync()
    {
        failBatch(pending, Response.redirect(null, term));
        pending = null;
        agents.clear();
        clearTimers();
        messaging.clear();
        idempotentPending.clear();
        mode = Mode.RESYNC;
        final long permits = resyncLog.tryAcquire(System.nanoTime());
        if (permits > 0)
        {
            LOG.warn("partition={} resync: an entry did not commit, confirming committed state term={} " +
                "(resyncs since last line: {})", partition, term, permits);
        }
        // The barrier goes out from doWork once nothing is in flight, after the current backoff.
    }

    @SuppressWarnings("unchecked")
    private void turn(final Envelope envelope)
    {
        if (envelope.firedTimerKey != null)
        {
            // A timer fires once: its removal commits with this turn, whatever the turn does.
            pendingBatch().entry.delete(envelope.firedTimerKey);
        }
        if (envelope.sequence > 0 && !consume(envelope))
        {
            return;
        }
        if (envelope.deadlineMs > 0 && loop.nowMs() > envelope.deadlineMs)
        {
            runtime.metrics().rejected.labelValues("expired").inc();
            envelope.replier.reply(Response.error(Status.TIMEOUT, "request expired before it reached its agent"));
            return;
        }
        final AgentType<Object, Object> type =
            (AgentType<Object, Object>)runtime.registry().find(envelope.target.type());
        if (type == null)
        {
            runtime.metrics().rejected.labelValues("unknown_type").inc();
            deadLetter(envelope, "unknown agent type");
            envelope.replier.reply(Response.error(Status.UNKNOWN_TYPE,
                "unknown agent type '" + envelope.target.type() + "'; known: " + runtime.registry().names()));
            return;
        }
        final boolean durable = type.durability() == Durability.DURABLE;
        final String idempotencyId = durable && envelope.idempotencyKey != null ?
            envelope.target + "\u0000" + envelope.idempotencyKey : null;
        if (idempotencyId != null && answerRepeatedRequest(envelope, idempotencyId))
        {
            return;
        }
        final Activation activation;
        final Object message;
        try
        {
            activation = activate(envelope.target, type, durable);
            message = type.messageCodec().decode(envelope.payload);
        }
        catch (final CodecException ex)
        {
            runtime.metrics().turns.labelValues(durable ? "durable" : "ephemeral", "bad_request").inc();
            deadLetter(envelope, ex.getMessage());
            envelope.replier.reply(Response.error(Status.BAD_REQUEST, ex.getMessage()));
            return;
        }

        final TurnContext ctx = loop.turnContext();
        ctx.begin(envelope.target, envelope.sender, partition, loop.nowMs(), durable);
        final long startNs = System.nanoTime();
        Object newState;
        Response failure = null;
        try
        {
            newState = type.handle(ctx, activation.state, message);
            if (newState == null)
            {
                throw new IllegalStateException("handler of " + type.name() + " returned a null state");
            }
        }
        catch (final AgentException ex)
        {
            newState = activation.state;
            failure = Response.error(Status.AGENT_ERROR, ex.getMessage());
        }
        catch (final RuntimeException ex)
        {
            newState = activation.state;
            failure = Response.error(Status.INTERNAL_ERROR, "agent " + envelope.target + " failed: " + ex);
            if (errorLog.tryAcquire(System.nanoTime()) > 0)
            {
                LOG.error("agent {} failed in partition {}", envelope.target, partition, ex);
            }
        }
        finally
        {
            ctx.end();
        }
        runtime.metrics().turnSeconds.observe((System.nanoTime() - startNs) / 1e9);
        activation.lastUsedNs = loop.nowNs();

        byte[] stateBytes = null;
        if (failure == null && newState != activation.state)
        {
            stateBytes = type.stateCodec().encode(newState);
            if (stateBytes.length > runtime.limits().maxStateBytes())
            {
                failure = Response.error(Status.TOO_LARGE, "new state of " + envelope.target + " is " +
                    stateBytes.length + " bytes, more than the " + runtime.limits().maxStateBytes() + " allowed");
                stateBytes = null;
            }
        }
        if (failure == null && durable && messaging.unackedTotal() + ctx.sends().size() >
            runtime.limits().maxOutboxMessages())
        {
            failure = Response.error(Status.OVERLOADED, "the outbox of partition " + partition + " holds " +
                messaging.unackedTotal() + " unacknowledged messages; retry later");
        }
        final String outcome = failure == null ? "ok" : failure.status() == Status.AGENT_ERROR ? "refused" : "error";
        runtime.metrics().turn(durable, outcome).inc();

        if (!durable)
        {
            if (failure == null)
            {
                activation.state = newState;
                envelope.replier.reply(Response.ok(envelope.expectsReply ? ctx.replyBytes() : EMPTY));
                for (final TurnContext.Send send : ctx.sends())
                {
                    runtime.sendAtMostOnce(send.target(), send.payload(), envelope.target);
                }
                if (envelope.sender != null && envelope.expectsReply && ctx.replied())
                {
                    runtime.sendAtMostOnce(envelope.sender, ctx.replyBytes(), envelope.target);
                }
            }
            else
            {
                envelope.replier.reply(failure);
            }
            return;
        }

        final Batch batch = pendingBatch();
        batch.turns++;
        if (failure != null)
        {
            // The refusal may depend on uncommitted state, so it waits for the batch like any reply.
            batch.outputs.add(new Reply(envelope.replier, failure));
            rememberReply(batch, envelope, idempotencyId, failure);
            return;
        }
        if (stateBytes != null)
        {
            batch.entry.put(KeySpaces.stateKey(envelope.target), stateBytes);
            activation.state = newState;
            activation.lastSeq = batch.seq;
        }
        final Response reply = Response.ok(envelope.expectsReply ? ctx.replyBytes() : EMPTY);
        batch.outputs.add(new Reply(envelope.replier, reply));
        rememberReply(batch, envelope, idempotencyId, reply);
        for (final TurnContext.Send send : ctx.sends())
        {
            send(batch, envelope.target, send.target(), send.payload(), send.expectsReply());
        }
        if (envelope.sender != null && envelope.expectsReply && ctx.replied())
        {
            send(batch, envelope.target, envelope.sender, ctx.replyBytes(), false);
        }
        for (final TurnContext.TimerOp op : ctx.timers())
        {
            applyTimerOp(batch, envelope.target, op);
        }
    }

    /**
     * A durable agent's message: through the outbox to durable agents, at most once to ephemeral ones.
     */
    private void send(
        final Batch batch, final AgentId sender, final AgentId target, final byte[] payload, final boolean expectsReply)
    {
        final AgentType<?, ?> targetType = runtime.registry().find(target.type());
        if (targetType != null && targetType.durability() == Durability.EPHEMERAL)
        {
            batch.outputs.add(new Tell(target, payload, sender));
            return;
        }
        final int targetPartition = Partitioner.partition(target, runtime.partitionCount());
        final OutboxMessage message = messaging.append(batch.entry, sender, target, targetPartition, expectsReply,
            payload);
        batch.outputs.add(new Transmit(message));
    }

    /**
     * Decides whether a durable message from an outbox runs: only the next one in sequence from
     * its source partition, and never twice. Its consumption commits with its turn.
     */
    private boolean consume(final Envelope envelope)
    {
        final PartitionMessaging.Acceptance acceptance =
            messaging.accept(envelope.sourcePartition, envelope.sequence, envelope.sourceTerm);
        switch (acceptance)
        {
            case ACCEPT ->
            {
                final Batch batch = pendingBatch();
                messaging.consumed(envelope.sourcePartition, envelope.sequence, batch.entry);
                batch.consumed.add(new long[] {envelope.sourcePartition, envelope.sequence});
                batch.outputs.add(new Ack(envelope.sourcePartition, envelope.sequence));
                runtime.metrics().agentMessages.labelValues("consumed").inc();
                return true;
            }
            case DUPLICATE ->
            {
                runtime.metrics().agentMessages.labelValues("duplicate").inc();
                runtime.router().sendAck(envelope.sourcePartition, partition, term,
                    messaging.committedConsumption(envelope.sourcePartition));
                return false;
            }
            case STALE ->
            {
                runtime.metrics().agentMessages.labelValues("stale_term").inc();
                return false;
            }
            default ->
            {
                runtime.metrics().agentMessages.labelValues(acceptance.name().toLowerCase()).inc();
                return false;
            }
        }
    }

    /**
     * Acknowledgement from a target partition: the messages up to {@code sequence} were consumed.
     */
    void onAck(final int targetPartition, final long sequence)
    {
        if (mode != Mode.ACTIVE)
        {
            return;
        }
        final Batch batch = pendingBatch();
        if (messaging.acknowledge(targetPartition, sequence, batch.entry) == 0 && batch.turns == 0 &&
            batch.entry.size() == 0 && batch.outputs.isEmpty())
        {
            pending = null;
        }
    }

    /**
     * Delivers a message to every agent of a type in this partition: each durable agent whose state
     * is committed, each active ephemeral agent. Every durable delivery carries the idempotency key
     * of the broadcast, so a broadcast retried (by the router after a leader change, or by a client
     * with the same key) reaches each agent once. The partition answers when every delivery has
     * committed, or with the first retryable failure among them.
     */
    void broadcast(final String type, final byte[] payload, final String broadcastKey, final Replier replier)
    {
        if (mode != Mode.ACTIVE)
        {
            if (mode == Mode.FOLLOWER)
            {
                final RoutingTable.Leader leader = runtime.routing().leader(partition);
                replier.reply(Response.redirect(runtime.nodeId().equals(leader.nodeId()) ? null : leader.nodeId(),
                    leader.term()));
            }
            else
            {
                replier.reply(Response.error(Status.UNAVAILABLE, "partition " + partition + " is resynchronising"));
            }
            return;
        }
        if (refusedForBacklog(replier))
        {
            return;
        }
        final AgentType<?, ?> agentType = runtime.registry().find(type);
        final List<AgentId> targets = new ArrayList<>();
        if (agentType != null && agentType.durability() == Durability.EPHEMERAL)
        {
            ephemeralAgents.keySet().stream().filter(id -> id.type().equals(type)).forEach(targets::add);
        }
        else
        {
            runtime.store().scan(partition, KeySpaces.statePrefix(type), (key, value) ->
            {
                targets.add(KeySpaces.agentOfStateKey(key));
                return true;
            });
        }
        final BroadcastTally tally = new BroadcastTally(replier, targets.size());
        for (final AgentId target : targets)
        {
            // One admitted broadcast: its deliveries queue behind the batch limit, not the mailbox limit.
            final Envelope envelope = Envelope.request(target, partition, payload, false, tally, 0, broadcastKey);
            if (!parked.isEmpty() || mustWaitForCommit())
            {
                parked.add(envelope);
            }
            else
            {
                turn(envelope);
            }
        }
    }

    /**
     * Gathers the answers of one broadcast's deliveries in a partition into the partition's answer.
     * Used on the partition's loop thread only.
     */
    private final class BroadcastTally implements Replier
    {
        private final Replier replier;
        private int outstanding;
        private int delivered;
        private int refused;
        private Response retryable;

        BroadcastTally(final Replier replier, final int targets)
        {
            this.replier = replier;
            this.outstanding = targets;
            if (targets == 0)
            {
                finish();
            }
        }

        public void reply(final Response response)
        {
            switch (response.status())
            {
                case OK -> delivered++;
                case REDIRECT, UNAVAILABLE, OVERLOADED, TIMEOUT ->
                {
                    if (retryable == null || response.status() == Status.REDIRECT)
                    {
                        retryable = response;
                    }
                }
                default -> refused++;
            }
            if (--outstanding == 0)
            {
                finish();
            }
        }

        private void finish()
        {
            if (retryable != null)
            {
                replier.reply(retryable);
                return;
            }
            replier.reply(Response.ok(("{\"partition\":" + partition + ",\"delivered\":" + delivered +
                ",\"refused\":" + refused + "}").getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        }
    }

    private boolean answerRepeatedRequest(final Envelope envelope, final String idempotencyId)
    {
        final Response pendingReply = idempotentPending.get(idempotencyId);
        if (pendingReply != null)
        {
            runtime.metrics().idempotentReplays.inc();
            pendingBatch().outputs.add(new Reply(envelope.replier, pendingReply));
            return true;
        }
        final byte[] stored = runtime.store().get(partition,
            KeySpaces.idempotencyKey(envelope.target, envelope.idempotencyKey));
        if (stored != null)
        {
            final java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(stored);
            final Status status = Status.get(buffer.get());
            final long expiresAtMs = buffer.getLong();
            if (expiresAtMs > loop.nowMs())
            {
                final byte[] payload = new byte[buffer.remaining()];
                buffer.get(payload);
                runtime.metrics().idempotentReplays.inc();
                envelope.replier.reply(new Response(status, payload, null, term));
                return true;
            }
        }
        return false;
    }

    private void rememberReply(
        final Batch batch, final Envelope envelope, final String idempotencyId, final Response reply)
    {
        if (idempotencyId == null)
        {
            return;
        }
        final byte[] payload = reply.payload();
        final byte[] record = java.nio.ByteBuffer.allocate(1 + 8 + payload.length)
            .put((byte)reply.status().value())
            .putLong(loop.nowMs() + runtime.limits().idempotencyRetention().toMillis())
            .put(payload)
            .array();
        batch.entry.put(KeySpaces.idempotencyKey(envelope.target, envelope.idempotencyKey), record);
        idempotentPending.put(idempotencyId, reply);
        batch.idempotent.add(idempotencyId);
    }

    private int sweepExpiredIdempotencyKeys(final long nowMs)
    {
        final List<byte[]> expired = new ArrayList<>();
        runtime.store().scan(partition, new byte[] {KeySpaces.IDEMPOTENCY}, (key, value) ->
        {
            if (java.nio.ByteBuffer.wrap(value, 1, 8).getLong() <= nowMs)
            {
                expired.add(key);
            }
            return expired.size() < 10_000;
        });
        if (!expired.isEmpty())
        {
            final Batch batch = pendingBatch();
            expired.forEach(batch.entry::delete);
        }
        return expired.size();
    }

    private void deadLetter(final Envelope envelope, final String why)
    {
        if (envelope.sequence > 0)
        {
            runtime.metrics().agentMessages.labelValues("dead_letter").inc();
            if (deadLetterLog.tryAcquire(System.nanoTime()) > 0)
            {
                LOG.warn("dead letter from partition {} seq {} to {}: {}", envelope.sourcePartition, envelope.sequence,
                    envelope.target, why);
            }
        }
    }

    private void applyTimerOp(final Batch batch, final AgentId agent, final TurnContext.TimerOp op)
    {
        final TimerId id = new TimerId(agent, op.name());
        final Timer previous = timersById.remove(id);
        if (previous != null)
        {
            timers.remove(previous);
            batch.entry.delete(previous.storeKey());
        }
        if (op.payload() != null)
        {
            final Timer timer = new Timer(id, op.dueMillis(), op.payload());
            timers.add(timer);
            timersById.put(id, timer);
            batch.entry.put(timer.storeKey(), op.payload());
        }
    }

    private void loadCommittedState()
    {
        loadTimers();
        messaging.load();
        idempotentPending.clear();
        nextResendCheckNs = loop.nowNs();
        if (messaging.unackedTotal() > 0)
        {
            LOG.info("partition={} outbox holds {} unacknowledged messages; resending", partition,
                messaging.unackedTotal());
        }
    }

    private void loadTimers()
    {
        clearTimers();
        runtime.store().scan(partition, new byte[] {KeySpaces.TIMERS}, (key, value) ->
        {
            final KeySpaces.TimerKey decoded = KeySpaces.decodeTimerKey(key);
            final Timer timer = new Timer(new TimerId(decoded.agent(), decoded.name()), decoded.dueMillis(), value);
            timers.add(timer);
            timersById.put(timer.id, timer);
            return true;
        });
        if (!timers.isEmpty())
        {
            LOG.info("partition={} loaded {} pending timers, next due in {} ms", partition, timers.size(),
                timers.peek().dueMillis - System.currentTimeMillis());
        }
    }

    private void clearTimers()
    {
        timers.clear();
        timersById.clear();
    }

    int pendingTimers()
    {
        return timers.size();
    }

    private Activation activate(final AgentId id, final AgentType<Object, Object> type, final boolean durable)
    {
        final Map<AgentId, Activation> map = durable ? agents : ephemeralAgents;
        Activation activation = map.get(id);
        if (activation == null)
        {
            final byte[] stored = durable ? runtime.store().get(partition, KeySpaces.stateKey(id)) : null;
            final Object state;
            try
            {
                state = stored == null ? type.initialState(id) : type.stateCodec().decode(stored);
            }
            catch (final CodecException ex)
            {
                throw new IllegalStateException("stored state of " + id + " does not decode", ex);
            }
            activation = new Activation(type, state);
            map.put(id, activation);
        }
        return activation;
    }

    private Batch pendingBatch()
    {
        if (pending == null)
        {
            pending = new Batch(nextSeq++, term, new LogEntry(partition, term), false);
        }
        return pending;
    }

    private void propose(final Batch batch, final long nowNs)
    {
        if (batch == pending)
        {
            pending = null;
        }
        inFlight = batch;
        batch.proposedNs = nowNs;
        final byte[] bytes = batch.entry.encode();
        runtime.metrics().batchTurns.labelValues(partitionLabel).observe(batch.turns);
        runtime.metrics().batchBytes.labelValues(partitionLabel).observe(bytes.length);
        runtime.propose(partition, bytes).whenComplete((result, ex) ->
        {
            final ProposalResult outcome = result != null ? result :
                new ProposalResult(ProposalResult.Status.UNKNOWN, -1, null);
            loop.control(() -> onProposalResult(batch, outcome));
        });
    }

    private void onProposalResult(final Batch batch, final ProposalResult result)
    {
        if (inFlight == batch)
        {
            inFlight = null;
        }
        runtime.metrics().commitSeconds.labelValues(partitionLabel).observe((loop.nowNs() - batch.proposedNs) / 1e9);
        runtime.metrics().proposals.labelValues(result.status().name().toLowerCase()).inc();
        if (result.status() == ProposalResult.Status.APPLIED)
        {
            committedSeq = Math.max(committedSeq, batch.seq);
            release(batch);
            if (batch.barrier && mode == Mode.RESYNC && batch.term == term)
            {
                barrierBackoffNs = 0;
                mode = Mode.ACTIVE;
                loadCommittedState();
                LOG.info("partition={} resync complete term={}", partition, term);
            }
            return;
        }

        final Response failure = switch (result.status())
        {
            case NOT_LEADER -> Response.redirect(result.leaderHint(), -1);
            case FENCED -> Response.redirect(null, -1);
            default -> Response.error(Status.UNAVAILABLE,
                "the turn's log entry did not commit in time; it may or may not take effect " +
                "(retry with an idempotency key to be safe)");
        };
        failBatch(batch, failure);
        if (batch.term != term || mode == Mode.FOLLOWER)
        {
            return;
        }
        if (result.status() == ProposalResult.Status.NOT_LEADER && runtime.readyLeaderTerm(partition) != term)
        {
            becomeFollower();
            return;
        }
        // Still leader (perhaps stepping down, or the outcome is unknown): confirm the committed
        // state with a barrier, backing off while barriers keep failing.
        barrierBackoffNs = batch.barrier ?
            Math.min(MAX_BARRIER_BACKOFF_NS, Math.max(MIN_BARRIER_BACKOFF_NS, barrierBackoffNs * 2)) : 0;
        nextBarrierNs = loop.nowNs() + barrierBackoffNs;
        if (mode != Mode.RESYNC)
        {
            enterResync();
        }
    }

    private void release(final Batch batch)
    {
        for (final long[] consumed : batch.consumed)
        {
            messaging.committedConsumption((int)consumed[0], consumed[1]);
        }
        batch.idempotent.forEach(idempotentPending::remove);
        for (final Output output : batch.outputs)
        {
            if (output instanceof Reply reply)
            {
                reply.replier().reply(reply.response());
            }
            else if (output instanceof Transmit transmit)
            {
                transmit.message().committed = true;
                messaging.sent(transmit.message(), loop.nowNs());
                runtime.router().sendAgentMessage(partition, batch.term, transmit.message());
            }
            else if (output instanceof Ack ack)
            {
                runtime.router().sendAck(ack.sourcePartition(), partition, batch.term, ack.sequence());
            }
            else if (output instanceof Tell tell)
            {
                runtime.sendAtMostOnce(tell.target(), tell.payload(), tell.sender());
            }
        }
    }

    private void failBatch(final Batch batch, final Response failure)
    {
        if (batch == null)
        {
            return;
        }
        for (final Output output : batch.outputs)
        {
            if (output instanceof Reply reply)
            {
                reply.replier().reply(failure);
            }
        }
        batch.outputs.clear();
        batch.idempotent.forEach(idempotentPending::remove);
    }

    private int passivateIdle(final long nowNs)
    {
        final long idleNs = runtime.limits().passivateAfter().toNanos();
        int passivated = 0;
        for (final Iterator<Activation> it = agents.values().iterator(); it.hasNext(); )
        {
            final Activation activation = it.next();
            if (nowNs - activation.lastUsedNs > idleNs && activation.lastSeq <= committedSeq)
            {
                it.remove();
                passivated++;
            }
        }
        return passivated;
    }
}
