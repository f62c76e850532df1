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

    private record Output(Replier replier, Response response, AgentId target, byte[] payload, AgentId sender)
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
                turn(new Envelope(timer.id.agent(), partition, timer.payload, null, false, Replier.NONE, 0,
                    timer.storeKey()));
                work++;
            }
            if (inFlight == null && pending != null)
            {
                propose(pending, nowNs);
                work++;
            }
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

    private boolean mustWaitForCommit()
    {
        return pending != null && inFlight != null &&
            (pending.turns >= runtime.limits().maxBatchTurns() ||
                pending.entry.size() >= LogEntry.MAX_OPS / 2 ||
                pending.entry.encodedLength() >= runtime.limits().maxBatchBytes());
    }

    private void park(final Envelope envelope)
    {
        if (parked.size() >= runtime.limits().maxParkedPerPartition())
        {
            runtime.metrics().rejected.labelValues("partition_backlog_full").inc();
            envelope.replier.reply(Response.error(Status.OVERLOADED,
                "partition " + partition + " has " + parked.size() + " messages waiting; retry later"));
            return;
        }
        parked.add(envelope);
    }

    private void redirect(final Envelope envelope)
    {
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
        loadTimers();
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
        mode = Mode.RESYNC;
        LOG.warn("partition={} resync: an entry did not commit, confirming committed state term={}", partition, term);
        propose(new Batch(nextSeq++, term, new LogEntry(partition, term), true), loop.nowNs());
    }

    @SuppressWarnings("unchecked")
    private void turn(final Envelope envelope)
    {
        if (envelope.firedTimerKey != null)
        {
            // A timer fires once: its removal commits with this turn, whatever the turn does.
            pendingBatch().entry.delete(envelope.firedTimerKey);
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
            envelope.replier.reply(Response.error(Status.UNKNOWN_TYPE,
                "unknown agent type '" + envelope.target.type() + "'; known: " + runtime.registry().names()));
            return;
        }
        final boolean durable = type.durability() == Durability.DURABLE;
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
        final String outcome = failure == null ? "ok" : failure.status() == Status.AGENT_ERROR ? "refused" : "error";
        runtime.metrics().turns.labelValues(durable ? "durable" : "ephemeral", outcome).inc();

        if (!durable)
        {
            if (failure == null)
            {
                activation.state = newState;
                envelope.replier.reply(Response.ok(envelope.expectsReply ? ctx.replyBytes() : EMPTY));
                for (final TurnContext.Send send : ctx.sends())
                {
                    runtime.send(send.target(), send.payload(), envelope.target);
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
            batch.outputs.add(new Output(envelope.replier, failure, null, null, null));
            return;
        }
        if (stateBytes != null)
        {
            batch.entry.put(KeySpaces.stateKey(envelope.target), stateBytes);
            activation.state = newState;
            activation.lastSeq = batch.seq;
        }
        batch.outputs.add(new Output(
            envelope.replier, Response.ok(envelope.expectsReply ? ctx.replyBytes() : EMPTY), null, null, null));
        for (final TurnContext.Send send : ctx.sends())
        {
            batch.outputs.add(new Output(null, null, send.target(), send.payload(), envelope.target));
        }
        for (final TurnContext.TimerOp op : ctx.timers())
        {
            applyTimerOp(batch, envelope.target, op);
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
        runtime.metrics().batchTurns.observe(batch.turns);
        runtime.metrics().batchBytes.observe(bytes.length);
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
        runtime.metrics().commitSeconds.observe((loop.nowNs() - batch.proposedNs) / 1e9);
        runtime.metrics().proposals.labelValues(result.status().name().toLowerCase()).inc();
        if (result.status() == ProposalResult.Status.APPLIED)
        {
            committedSeq = Math.max(committedSeq, batch.seq);
            release(batch);
            if (batch.barrier && mode == Mode.RESYNC && batch.term == term)
            {
                mode = Mode.ACTIVE;
                loadTimers();
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
        }
        else
        {
            enterResync();
        }
    }

    private void release(final Batch batch)
    {
        for (final Output output : batch.outputs)
        {
            if (output.replier() != null)
            {
                output.replier().reply(output.response());
            }
            else
            {
                runtime.send(output.target(), output.payload(), output.sender());
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
            if (output.replier() != null)
            {
                output.replier().reply(failure);
            }
        }
        batch.outputs.clear();
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
