package io.rookery.node;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.rookery.api.AgentException;
import io.rookery.api.AgentId;
import io.rookery.api.AgentType;
import io.rookery.api.CodecException;
import io.rookery.api.Durability;
import io.rookery.gossip.GroupClaim;
import io.rookery.raft.Ownership;
import io.rookery.raft.ProposalResult;
import io.rookery.raft.RangeChunks;
import io.rookery.transport.LogLimiter;
import io.rookery.transport.codecs.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static io.rookery.node.Leadership.Ack;
import static io.rookery.node.Leadership.Batch;
import static io.rookery.node.Leadership.Consumed;
import static io.rookery.node.Leadership.HandoffAnswer;
import static io.rookery.node.Leadership.Idempotent;
import static io.rookery.node.Leadership.Output;
import static io.rookery.node.Leadership.Reply;
import static io.rookery.node.Leadership.Tell;
import static io.rookery.node.Leadership.Timer;
import static io.rookery.node.Leadership.TimerId;
import static io.rookery.node.Leadership.Transmit;

/**
 * One Raft group's replica on this node, driven only by its {@link TurnLoop}'s thread.
 * <p>
 * While this node is the group's ready leader it holds a {@link Leadership}: messages for any
 * partition the group owns run as turns at once against the agents' in-memory state; the turns'
 * effects over all those partitions join one pending batch, proposed to Raft as one log entry when
 * no entry is in flight (group commit across partitions), while the next batch gathers. Replies and
 * outgoing messages are held with their batch and released only after its entry commits.
 * <p>
 * If an entry does not commit (leadership lost, fenced, or outcome unknown), every turn computed on
 * top of it is void: the in-memory state is dropped and, if still leader, the group commits an
 * empty barrier entry before serving again, so that whatever the uncertain entry became is applied
 * to the local store first (mode RESYNC).
 * <p>
 * The leader also drives the partition handoffs its group is the source of ({@link Handoff}), and
 * proposes the chunks another group hands it, answering each once it is applied.
 */
final class GroupRuntime
{
    private static final Logger LOG = LoggerFactory.getLogger(GroupRuntime.class);
    private static final byte[] EMPTY = new byte[0];
    private static final long ROLE_POLL_NS = TimeUnit.MILLISECONDS.toNanos(250);
    private static final long SWEEP_NS = TimeUnit.SECONDS.toNanos(1);
    private static final long RESEND_CHECK_NS = TimeUnit.MILLISECONDS.toNanos(200);
    private static final long MIN_BARRIER_BACKOFF_NS = TimeUnit.MILLISECONDS.toNanos(20);
    private static final long MAX_BARRIER_BACKOFF_NS = TimeUnit.SECONDS.toNanos(1);
    private static final long IDEMPOTENCY_SWEEP_MS = TimeUnit.SECONDS.toMillis(30);

    final long group;
    private final AgentRuntime runtime;
    private final TurnLoop loop;
    private final ArrayDeque<Envelope> parked = new ArrayDeque<>();
    private volatile Map<String, Integer> activeByType = Map.of();
    private volatile Map<String, Integer> waitingByType = Map.of();
    private final LogLimiter errorLog = new LogLimiter(10, TimeUnit.SECONDS);
    private final LogLimiter deadLetterLog = new LogLimiter(10, TimeUnit.SECONDS);
    private final LogLimiter resyncLog = new LogLimiter(5, TimeUnit.SECONDS);
    private String label;
    private Leadership leadership;
    private volatile long migratedGeneration = -1;
    private volatile Map<ClassLoader, Integer> activationsByLoader = Map.of();
    private long nextRolePollNs;
    private long nextSweepNs;
    private volatile GroupClaim claim;
    private volatile int servingCount;
    private volatile int activeAgents;
    private volatile int outgoingCount;

    GroupRuntime(final long group, final AgentRuntime runtime, final TurnLoop loop)
    {
        this.group = group;
        this.runtime = runtime;
        this.loop = loop;
        this.label = runtime.groupLabel(group);
    }

    TurnLoop loop()
    {
        return loop;
    }

    /** @return this node's claim to lead and serve the group, or null; readable from any thread. */
    GroupClaim claim()
    {
        return claim;
    }

    /** @return partitions served here now; readable from any thread. */
    int servingCount()
    {
        return servingCount;
    }

    /** @return agents in memory; readable from any thread. */
    int activeAgents()
    {
        return activeAgents;
    }

    /** @return handoffs this group drives as their source; readable from any thread. */
    int outgoingCount()
    {
        return outgoingCount;
    }

    /** @return the term this node serves the group in, or -1; readable from the loop thread. */
    long servingTerm()
    {
        return leadership == null || leadership.mode != Leadership.Mode.ACTIVE ? -1 : leadership.term;
    }

    void deliver(final Envelope envelope)
    {
        if (!parked.isEmpty())
        {
            park(envelope);
            return;
        }
        final Leadership lead = leadership;
        if (lead == null)
        {
            if (runtime.isLeaderAwaitingReadiness(group))
            {
                park(envelope);
            }
            else
            {
                redirect(envelope);
            }
            return;
        }
        if (lead.mode == Leadership.Mode.RESYNC || mustWaitForCommit(lead))
        {
            park(envelope);
            return;
        }
        route(lead, envelope);
    }

    /**
     * Runs a message as a turn when its partition is served here, else redirects it.
     */
    private void route(final Leadership lead, final Envelope envelope)
    {
        PartitionTurns turns = lead.serving.get(envelope.partition);
        if (turns == null)
        {
            // An adoption applied whose event this loop has not handled yet: serve it now.
            final Ownership ownership = runtime.ownership(group, envelope.partition);
            if (ownership != null && ownership.owned() && !lead.outgoing.containsKey(envelope.partition))
            {
                startServing(lead, envelope.partition, ownership.epoch());
                publish(lead);
                turns = lead.serving.get(envelope.partition);
            }
            else
            {
                redirect(envelope);
                return;
            }
        }
        turn(lead, turns, envelope);
    }

    int doWork(final long nowNs)
    {
        int work = 0;
        final long registryGeneration = runtime.registry().generation();
        if (registryGeneration != migratedGeneration)
        {
            moveToCurrentVersions(registryGeneration);
            work++;
        }
        final Leadership lead = leadership;
        if (lead != null && lead.mode == Leadership.Mode.ACTIVE)
        {
            work += serve(lead, nowNs);
        }
        else if (lead != null && lead.inFlight == null && nowNs - lead.nextBarrierNs >= 0)
        {
            final Batch barrier = new Batch(lead.nextSeq++, lead.term, true);
            propose(lead, barrier, nowNs);
            work++;
        }
        else if (lead == null && nowNs - nextRolePollNs >= 0)
        {
            // Self-heal: a leadership this node holds but missed an event for is picked up here.
            nextRolePollNs = nowNs + ROLE_POLL_NS;
            final long readyTerm = runtime.readyLeaderTerm(group);
            if (readyTerm >= 0)
            {
                becomeActive(readyTerm);
                work++;
            }
            else if (!parked.isEmpty() && !runtime.isLeaderAwaitingReadiness(group))
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
            refreshGauges();
        }
        return work;
    }

    private int serve(final Leadership lead, final long nowNs)
    {
        int work = 0;
        while (!parked.isEmpty() && !mustWaitForCommit(lead) && leadership == lead &&
            lead.mode == Leadership.Mode.ACTIVE)
        {
            route(lead, parked.poll());
            work++;
        }
        while (parked.isEmpty() && !lead.timers.isEmpty() && lead.timers.peek().dueMillis <= loop.nowMs() &&
            !mustWaitForCommit(lead) && leadership == lead)
        {
            final Timer timer = lead.timers.poll();
            lead.timersById.remove(timer.id, timer);
            final PartitionTurns turns = lead.serving.get(timer.partition);
            if (turns != null)
            {
                turn(lead, turns, Envelope.timer(timer.id.agent(), timer.partition, timer.payload, timer.storeKey()));
            }
            work++;
        }
        if (leadership != lead)
        {
            return work;
        }
        if (nowNs - lead.nextResendCheckNs >= 0)
        {
            lead.nextResendCheckNs = nowNs + RESEND_CHECK_NS;
            for (final PartitionTurns turns : lead.serving.values())
            {
                final long fence = turns.fence(lead.term);
                work += turns.messaging.resendDue(nowNs, runtime.limits().resendAfter().toNanos(), 1024,
                    message -> runtime.router().sendAgentMessage(turns.partition, fence, message));
            }
        }
        if (loop.nowMs() >= lead.nextIdempotencySweepMs && !mustWaitForCommit(lead))
        {
            lead.nextIdempotencySweepMs = loop.nowMs() + IDEMPOTENCY_SWEEP_MS;
            work += sweepExpiredIdempotencyKeys(lead, loop.nowMs());
        }
        if (!lead.genesisProposed && runtime.groupName(group) == null)
        {
            work += proposeGenesis(lead);
        }
        work += driveHandoffs(lead, nowNs);
        if (lead.inFlight == null && lead.pending != null)
        {
            propose(lead, lead.pending, nowNs);
            work++;
        }
        return work;
    }

    /**
     * @return what this replica knows of a partition it serves, for diagnostics; null when it does not.
     */
    Map<String, Object> describe(final int partition)
    {
        final Leadership lead = leadership;
        final Map<String, Object> view = new java.util.LinkedHashMap<>();
        view.put("group", label);
        view.put("mode", lead == null ? "FOLLOWER" : lead.mode.name());
        view.put("parked", parked.size());
        if (lead != null)
        {
            view.put("term", lead.term);
            view.put("inFlight", lead.inFlight != null);
            view.put("pending", lead.pending != null);
            final PartitionTurns turns = lead.serving.get(partition);
            view.put("serving", turns != null);
            if (turns != null)
            {
                view.put("epoch", turns.epoch);
                view.put("messaging", turns.messaging.describe());
            }
            final Handoff handoff = lead.outgoing.get(partition);
            if (handoff != null)
            {
                view.put("handoff", handoff.toString());
            }
        }
        return view;
    }

    void onLeaderReady()
    {
        final long readyTerm = runtime.readyLeaderTerm(group);
        if (readyTerm < 0 || (leadership != null && readyTerm == leadership.term))
        {
            return;
        }
        becomeActive(readyTerm);
    }

    void onLeaderChanged(final String leaderNodeId)
    {
        if (leadership != null && !runtime.nodeId().equals(leaderNodeId))
        {
            becomeFollower(leaderNodeId);
        }
    }

    /**
     * An applied entry changed the group's side of a partition (on this replica, whatever its role).
     */
    void onOwnershipChanged(final int partition, final Ownership ownership)
    {
        final Leadership lead = leadership;
        if (lead == null || lead.mode != Leadership.Mode.ACTIVE)
        {
            return;
        }
        switch (ownership.state())
        {
            case OWNED ->
            {
                if (!lead.serving.containsKey(partition) && !lead.outgoing.containsKey(partition))
                {
                    startServing(lead, partition, ownership.epoch());
                    if (ownership.epoch() > Ownership.FIRST_EPOCH)
                    {
                        LOG.info("group={} adopted partition={} epoch={}; serving it", label, partition,
                            ownership.epoch());
                        runtime.metrics().partitionMoves.labelValues("adopted").inc();
                    }
                    publish(lead);
                }
            }
            case SEALED ->
            {
                final Handoff handoff = lead.outgoing.get(partition);
                if (handoff != null && handoff.epoch == ownership.epoch())
                {
                    handoff.sealed(sealedRange(partition), loop.nowNs());
                    runtime.metrics().partitionMoves.labelValues("sealed").inc();
                }
            }
            case RELEASED ->
            {
                final Handoff handoff = lead.outgoing.remove(partition);
                if (handoff != null)
                {
                    runtime.metrics().partitionMoves.labelValues("released").inc();
                    LOG.info("group={} handed partition={} to {} at epoch={} ({} chunks sent)", label, partition,
                        runtime.groupLabel(handoff.target), handoff.epoch, handoff.chunksSent());
                    publish(lead);
                }
            }
            default ->
            {
            }
        }
    }

    /**
     * The group's whole applied state was replaced under a leader (should not happen: leaders do not
     * install snapshots); served state is reloaded by a resync to be safe.
     */
    void onOwnershipReloaded()
    {
        final Leadership lead = leadership;
        if (lead != null && lead.mode == Leadership.Mode.ACTIVE)
        {
            enterResync(lead);
        }
    }

    void close()
    {
        final Response stopping = Response.error(Status.UNAVAILABLE, "node is shutting down");
        final Leadership lead = leadership;
        if (lead != null)
        {
            failBatch(lead, lead.pending, stopping);
            failBatch(lead, lead.inFlight, stopping);
        }
        leadership = null;
        claim = null;
        while (!parked.isEmpty())
        {
            parked.poll().replier.reply(stopping);
        }
    }

    /**
     * Starts handing a partition this group serves to another group: the seal joins the pending
     * batch, after every turn of the partition already in it, and the partition's turns stop here.
     *
     * @return a readable reason when the move cannot start now, else null.
     */
    String startMove(final int partition, final long target)
    {
        final Leadership lead = leadership;
        if (lead == null || lead.mode != Leadership.Mode.ACTIVE)
        {
            return "this node does not serve group " + label;
        }
        if (target == group)
        {
            return "partition " + partition + " is already in group " + label;
        }
        final PartitionTurns turns = lead.serving.get(partition);
        if (turns == null)
        {
            return "group " + label + " does not serve partition " + partition + " here";
        }
        if (lead.outgoing.size() >= runtime.limits().maxHandoffsPerGroup())
        {
            return "group " + label + " already hands over " + lead.outgoing.size() + " partitions";
        }
        final long epoch = turns.epoch + 1;
        lead.pendingBatch().entry.seal(partition, epoch, target);
        lead.serving.remove(partition);
        lead.dropTimersOf(partition);
        lead.outgoing.put(partition, new Handoff(partition, epoch, target));
        runtime.metrics().partitionMoves.labelValues("started").inc();
        LOG.info("group={} hands partition={} to {} at epoch={}", label, partition, runtime.groupLabel(target), epoch);
        publish(lead);
        return null;
    }

    /**
     * Retires the group if it leads it and holds nothing: no partition served or being handed over.
     */
    void requestRetire()
    {
        final Leadership lead = leadership;
        if (lead != null && lead.mode == Leadership.Mode.ACTIVE && lead.serving.isEmpty() && lead.outgoing.isEmpty() &&
            !runtime.retired(group))
        {
            lead.pendingBatch().entry.retire();
        }
    }

    /**
     * A chunk of a partition another group hands to this one, from the source's leader.
     */
    void onHandoffChunk(final HandoffChunk chunk, final Replier replier)
    {
        final Leadership lead = leadership;
        if (lead == null || lead.mode != Leadership.Mode.ACTIVE)
        {
            final RoutingTable.Leader leader = runtime.routing().groupLeader(group);
            replier.reply(Response.redirect(runtime.nodeId().equals(leader.nodeId()) ? null : leader.nodeId(),
                leader.term()));
            return;
        }
        final Ownership current = runtime.ownership(group, chunk.partition());
        if (current != null && current.owned() && current.epoch() >= chunk.epoch())
        {
            replier.reply(Response.ok(Handoff.encodeAnswer(Handoff.Answer.DONE, 0)));
            return;
        }
        if (runtime.retired(group))
        {
            replier.reply(Response.ok(Handoff.encodeAnswer(Handoff.Answer.RETIRED, 0)));
            return;
        }
        if (chunk.partition() >= runtime.partitionCount() || chunk.chunk() < 0)
        {
            refuseChunk(replier, "partition or chunk out of range");
            return;
        }
        try
        {
            RangeChunks.forEach(chunk.data(), (key, value) -> true);
        }
        catch (final IllegalStateException ex)
        {
            refuseChunk(replier, ex.getMessage());
            return;
        }
        final Batch batch = lead.pendingBatch();
        batch.entry.adopt(chunk.partition(), chunk.epoch(), chunk.sourceGroup(), chunk.chunk(), chunk.last(),
            chunk.data());
        batch.outputs.add(new HandoffAnswer(replier, chunk.partition(), chunk.epoch()));
        runtime.metrics().handoffChunks.labelValues("in", "proposed").inc();
    }

    private void refuseChunk(final Replier replier, final String why)
    {
        runtime.metrics().handoffChunks.labelValues("in", "malformed").inc();
        replier.reply(Response.error(Status.BAD_REQUEST, "handoff chunk refused: " + why));
    }

    /**
     * The target's answer to a chunk this group's leader sent.
     */
    void onHandoffAnswer(final int partition, final long epoch, final Response response)
    {
        final Leadership lead = leadership;
        final Handoff handoff = lead == null ? null : lead.outgoing.get(partition);
        if (handoff == null || handoff.epoch != epoch || handoff.step() != Handoff.Step.SENDING)
        {
            return;
        }
        final long nowNs = loop.nowNs();
        final Handoff.DecodedAnswer answer = response.isOk() ? Handoff.decodeAnswer(response.payload()) : null;
        if (answer == null)
        {
            if (response.status() == Status.REDIRECT && response.leaderHint() != null)
            {
                runtime.routing().observeLeader(handoff.target, response.leaderHint(), response.leaderTerm());
            }
            runtime.metrics().handoffChunks.labelValues("out", response.status().name().toLowerCase()).inc();
            handoff.retryLater(nowNs);
            return;
        }
        runtime.metrics().handoffChunks.labelValues("out", answer.answer().name().toLowerCase()).inc();
        if (handoff.answered(answer.answer(), answer.expected(), nowNs))
        {
            LOG.warn("group={} cannot hand partition={} to {}: that group is retired; placement picks another",
                label, partition, runtime.groupLabel(handoff.target));
        }
    }

    private int driveHandoffs(final Leadership lead, final long nowNs)
    {
        int work = 0;
        for (final Handoff handoff : lead.outgoing.values())
        {
            if (handoff.step() == Handoff.Step.RELEASING)
            {
                lead.pendingBatch().entry.release(handoff.partition, handoff.epoch);
                handoff.releaseProposed();
                work++;
                continue;
            }
            final int chunk = handoff.chunkToSend(nowNs);
            if (chunk < 0)
            {
                continue;
            }
            final HandoffChunk message = new HandoffChunk(handoff.partition, handoff.epoch, group, handoff.target,
                chunk, handoff.isLast(chunk), handoff.chunk(chunk));
            final long epoch = handoff.epoch;
            final int partition = handoff.partition;
            if (runtime.sendHandoffChunk(message, response ->
                loop.control(() -> onHandoffAnswer(partition, epoch, response))))
            {
                handoff.sent(nowNs);
                runtime.metrics().handoffChunks.labelValues("out", "sent").inc();
            }
            else
            {
                handoff.retryLater(nowNs);
            }
            work++;
        }
        return work;
    }

    /**
     * Whether the next turn has to wait: the pending batch is full. A full batch with nothing in
     * flight is proposed here and then, so a batch never grows past its limits however many
     * envelopes arrive between two calls of {@link #doWork(long)}.
     */
    private boolean mustWaitForCommit(final Leadership lead)
    {
        final Batch pending = lead.pending;
        if (pending == null || !isFull(pending))
        {
            return false;
        }
        if (lead.inFlight == null)
        {
            propose(lead, pending, loop.nowNs());
            return false;
        }
        return true;
    }

    private boolean isFull(final Batch batch)
    {
        return batch.turns >= runtime.limits().maxBatchTurns() ||
            batch.entry.size() >= io.rookery.raft.LogEntry.MAX_OPS / 2 ||
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
     * Refuses a request, counted, when the group's backlog of waiting messages is full.
     *
     * @return whether it was refused.
     */
    private boolean refusedForBacklog(final Replier replier)
    {
        if (parked.size() < runtime.limits().maxParkedPerGroup())
        {
            return false;
        }
        runtime.metrics().rejected.labelValues("group_backlog_full").inc();
        replier.reply(Response.error(Status.OVERLOADED,
            "group " + label + " has " + parked.size() + " messages waiting; retry later"));
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
        envelope.replier.reply(runtime.redirectFor(envelope.partition));
    }

    private void becomeActive(final long newTerm)
    {
        final Leadership previous = leadership;
        if (previous != null)
        {
            failBatch(previous, previous.pending, Response.redirect(null, newTerm));
        }
        final Leadership lead = new Leadership(newTerm);
        leadership = lead;
        loadCommittedState(lead);
        runtime.metrics().leaderChanges.labelValues("gained").inc();
        LOG.info("group={} leader ready term={} node={} partitions={} handoffs={}", label, newTerm, runtime.nodeId(),
            lead.serving.size(), lead.outgoing.size());
        publish(lead);
    }

    private void becomeFollower(final String newLeader)
    {
        final Leadership lead = leadership;
        final String hint = runtime.nodeId().equals(newLeader) ? null : newLeader;
        failBatch(lead, lead.pending, Response.redirect(hint, -1));
        leadership = null;
        LOG.info("group={} leadership lost term={} node={} newLeader={}", label, lead.term, runtime.nodeId(), hint);
        runtime.metrics().leaderChanges.labelValues("lost").inc();
        claim = null;
        servingCount = 0;
        outgoingCount = 0;
        runtime.onLocalLeadershipChanged(this);
        while (!parked.isEmpty())
        {
            redirect(parked.poll());
        }
    }

    private void enterResync(final Leadership lead)
    {
        failBatch(lead, lead.pending, Response.redirect(null, lead.term));
        lead.pending = null;
        lead.serving.clear();
        lead.outgoing.clear();
        lead.timers.clear();
        lead.timersById.clear();
        lead.mode = Leadership.Mode.RESYNC;
        publish(lead);
        final long permits = resyncLog.tryAcquire(System.nanoTime());
        if (permits > 0)
        {
            LOG.warn("group={} resync: an entry did not commit, confirming committed state term={} " +
                "(resyncs since last line: {})", label, lead.term, permits);
        }
        // The barrier goes out from doWork once nothing is in flight, after the current backoff.
    }

    /**
     * Loads, from the applied state, what the leader serves and drives: the partitions the group
     * owns (their outboxes and timers) and the handoffs its sealed partitions are in.
     */
    private void loadCommittedState(final Leadership lead)
    {
        lead.serving.clear();
        lead.outgoing.clear();
        lead.timers.clear();
        lead.timersById.clear();
        final long nowNs = loop.nowNs();
        lead.nextResendCheckNs = nowNs;
        for (final Map.Entry<Integer, Ownership> entry : runtime.ownershipOf(group).entrySet())
        {
            final int partition = entry.getKey();
            final Ownership ownership = entry.getValue();
            if (ownership.state() == Ownership.State.OWNED)
            {
                startServing(lead, partition, ownership.epoch());
            }
            else if (ownership.state() == Ownership.State.SEALED)
            {
                final Handoff handoff = new Handoff(partition, ownership.epoch(), ownership.peerGroup());
                handoff.sealed(sealedRange(partition), nowNs);
                lead.outgoing.put(partition, handoff);
                LOG.info("group={} resumes the {}", label, handoff);
            }
        }
    }

    private List<byte[]> sealedRange(final int partition)
    {
        return RangeChunks.read(runtime.store(), group, partition, runtime.limits().handoffChunkBytes());
    }

    private void startServing(final Leadership lead, final int partition, final long epoch)
    {
        final PartitionTurns turns = new PartitionTurns(new PartitionStore(runtime.store(), group, partition), epoch);
        lead.serving.put(partition, turns);
        turns.store.scan(new byte[] {KeySpaces.TIMERS}, (key, value) ->
        {
            final KeySpaces.TimerKey decoded = KeySpaces.decodeTimerKey(key);
            lead.addTimer(new Timer(partition, new TimerId(decoded.agent(), decoded.name()), decoded.dueMillis(),
                value));
            return true;
        });
        if (turns.messaging.unackedTotal() > 0)
        {
            LOG.info("group={} partition={} outbox holds {} unacknowledged messages; resending", label, partition,
                turns.messaging.unackedTotal());
        }
    }

    private int proposeGenesis(final Leadership lead)
    {
        final String name = runtime.homeNodeOf(group);
        if (name == null)
        {
            return 0;
        }
        final List<Integer> partitions = runtime.initialPartitionsOf(group);
        lead.pendingBatch().entry.genesis(name, partitions);
        lead.genesisProposed = true;
        LOG.info("group={} genesis: named {} with {} partitions", label, name, partitions.size());
        return 1;
    }

    /**
     * Publishes what this node serves of the group: gossip claims, routing, local owners.
     */
    private void publish(final Leadership lead)
    {
        final String name = runtime.groupName(group);
        if (name != null)
        {
            label = "g-" + name;
        }
        if (lead.mode == Leadership.Mode.ACTIVE)
        {
            final int[] partitions = new int[lead.serving.size()];
            final long[] epochs = new long[partitions.length];
            int i = 0;
            for (final PartitionTurns turns : lead.serving.values())
            {
                partitions[i] = turns.partition;
                epochs[i++] = turns.epoch;
            }
            claim = new GroupClaim(group, name == null ? "" : name, lead.term, partitions, epochs);
        }
        else
        {
            claim = null;
        }
        servingCount = lead.serving.size();
        outgoingCount = lead.outgoing.size();
        runtime.onLocalLeadershipChanged(this);
    }

    private void refreshGauges()
    {
        final Leadership lead = leadership;
        activeAgents = lead == null ? 0 : lead.activeAgents();
        countActivationsByLoader();
    }

    @SuppressWarnings("unchecked")
    private void turn(final Leadership lead, final PartitionTurns turns, final Envelope envelope)
    {
        final int partition = turns.partition;
        if (envelope.firedTimerKey != null)
        {
            // A timer fires once: its removal commits with this turn, whatever the turn does.
            lead.pendingBatch().entry.delete(partition, envelope.firedTimerKey);
        }
        if (envelope.sequence > 0 && !consume(lead, turns, envelope))
        {
            return;
        }
        if (envelope.deadlineMs > 0 && loop.nowMs() > envelope.deadlineMs)
        {
            runtime.metrics().rejected.labelValues("expired").inc();
            envelope.replier.reply(Response.error(Status.TIMEOUT, "request expired before it reached its agent"));
            return;
        }
        final AgentType<Object, Object> current =
            (AgentType<Object, Object>)runtime.registry().find(envelope.target.type());
        if (current == null)
        {
            runtime.metrics().rejected.labelValues("unknown_type").inc();
            deadLetter(envelope, "unknown agent type");
            envelope.replier.reply(Response.error(Status.UNKNOWN_TYPE,
                "unknown agent type '" + envelope.target.type() + "'; known: " + runtime.registry().names()));
            return;
        }
        final boolean durable = current.durability() == Durability.DURABLE;
        final String idempotencyId = durable && envelope.idempotencyKey != null ?
            envelope.target + "\u0000" + envelope.idempotencyKey : null;
        if (idempotencyId != null && answerRepeatedRequest(lead, turns, envelope, idempotencyId))
        {
            return;
        }
        if (envelope.deleteState)
        {
            deleteState(lead, turns, envelope, current, durable, idempotencyId);
            return;
        }
        final PartitionTurns.Activation activation;
        final AgentType<Object, Object> type;
        final Object message;
        try
        {
            activation = activate(turns, envelope.target, current, durable);
            // The version the agent runs: the current one, unless moving its state over failed.
            type = activation.type;
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
        final boolean deleted = failure == null && ctx.stateDeleted();
        if (deleted)
        {
            newState = type.initialState(envelope.target);
        }
        if (failure == null && !deleted && newState != activation.state)
        {
            stateBytes = type.stateCodec().encode(newState);
            if (stateBytes.length > runtime.limits().maxStateBytes())
            {
                failure = Response.error(Status.TOO_LARGE, "new state of " + envelope.target + " is " +
                    stateBytes.length + " bytes, more than the " + runtime.limits().maxStateBytes() + " allowed");
                stateBytes = null;
            }
        }
        if (failure == null && durable && turns.messaging.unackedTotal() + ctx.sends().size() >
            runtime.limits().maxOutboxMessages())
        {
            failure = Response.error(Status.OVERLOADED, "the outbox of partition " + partition + " holds " +
                turns.messaging.unackedTotal() + " unacknowledged messages; retry later");
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

        final Batch batch = lead.pendingBatch();
        batch.turns++;
        if (failure != null)
        {
            // The refusal may depend on uncommitted state, so it waits for the batch like any reply.
            batch.outputs.add(new Reply(envelope.replier, failure));
            rememberReply(batch, turns, envelope, idempotencyId, failure);
            return;
        }
        if (stateBytes != null)
        {
            batch.entry.put(partition, KeySpaces.stateKey(envelope.target),
                StoredState.wrap(runtime.registry().versionOf(type), stateBytes));
            activation.state = newState;
            activation.lastSeq = batch.seq;
        }
        else if (deleted)
        {
            batch.entry.delete(partition, KeySpaces.stateKey(envelope.target));
            activation.state = newState;
            activation.lastSeq = batch.seq;
        }
        final Response reply = Response.ok(envelope.expectsReply ? ctx.replyBytes() : EMPTY);
        batch.outputs.add(new Reply(envelope.replier, reply));
        rememberReply(batch, turns, envelope, idempotencyId, reply);
        for (final TurnContext.Send send : ctx.sends())
        {
            send(batch, turns, envelope.target, send.target(), send.payload(), send.expectsReply());
        }
        if (envelope.sender != null && envelope.expectsReply && ctx.replied())
        {
            send(batch, turns, envelope.target, envelope.sender, ctx.replyBytes(), false);
        }
        for (final TurnContext.TimerOp op : ctx.timers())
        {
            applyTimerOp(lead, batch, partition, envelope.target, op);
        }
    }

    /**
     * Deletes an agent's state on a request from outside, in turn with its messages: the delete
     * commits with the batch, the agent is kept in memory at its initial state until then (so a
     * message right behind the delete does not read the old state from the store), and the
     * answer goes out once the batch commits, remembered under its idempotency key like any.
     */
    private void deleteState(
        final Leadership lead,
        final PartitionTurns turns,
        final Envelope envelope,
        final AgentType<Object, Object> type,
        final boolean durable,
        final String idempotencyId)
    {
        final Map<AgentId, PartitionTurns.Activation> agents = durable ? turns.agents : turns.ephemeralAgents;
        final Response reply = Response.ok(EMPTY);
        runtime.metrics().turn(durable, "deleted").inc();
        if (!durable)
        {
            agents.remove(envelope.target);
            envelope.replier.reply(reply);
            return;
        }
        final Batch batch = lead.pendingBatch();
        batch.turns++;
        batch.entry.delete(turns.partition, KeySpaces.stateKey(envelope.target));
        final PartitionTurns.Activation activation = new PartitionTurns.Activation(type,
            type.initialState(envelope.target));
        activation.lastSeq = batch.seq;
        activation.lastUsedNs = loop.nowNs();
        agents.put(envelope.target, activation);
        batch.outputs.add(new Reply(envelope.replier, reply));
        rememberReply(batch, turns, envelope, idempotencyId, reply);
    }

    /**
     * A durable agent's message: through the outbox to durable agents, at most once to ephemeral ones.
     */
    private void send(
        final Batch batch,
        final PartitionTurns turns,
        final AgentId sender,
        final AgentId target,
        final byte[] payload,
        final boolean expectsReply)
    {
        final AgentType<?, ?> targetType = runtime.registry().find(target.type());
        if (targetType != null && targetType.durability() == Durability.EPHEMERAL)
        {
            batch.outputs.add(new Tell(target, payload, sender));
            return;
        }
        final int targetPartition = Partitioner.partition(target, runtime.partitionCount());
        final OutboxMessage message = turns.messaging.append(batch.entry, sender, target, targetPartition,
            expectsReply, payload);
        batch.outputs.add(new Transmit(turns.partition, turns.epoch, message));
    }

    /**
     * Decides whether a durable message from an outbox runs: only the next one in sequence from
     * its source partition, and never twice. Its consumption commits with its turn.
     */
    private boolean consume(final Leadership lead, final PartitionTurns turns, final Envelope envelope)
    {
        final PartitionMessaging.Acceptance acceptance =
            turns.messaging.accept(envelope.sourcePartition, envelope.sequence, envelope.sourceTerm);
        switch (acceptance)
        {
            case ACCEPT ->
            {
                final Batch batch = lead.pendingBatch();
                turns.messaging.consumed(envelope.sourcePartition, envelope.sequence, batch.entry);
                batch.outputs.add(new Consumed(turns.partition, envelope.sourcePartition, envelope.sequence));
                batch.outputs.add(new Ack(turns.partition, turns.epoch, envelope.sourcePartition, envelope.sequence));
                runtime.metrics().agentMessages.labelValues("consumed").inc();
                return true;
            }
            case DUPLICATE ->
            {
                runtime.metrics().agentMessages.labelValues("duplicate").inc();
                runtime.router().sendAck(envelope.sourcePartition, turns.partition, turns.fence(lead.term),
                    turns.messaging.committedConsumption(envelope.sourcePartition));
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
    void onAck(final int sourcePartition, final int targetPartition, final long sequence)
    {
        final Leadership lead = leadership;
        if (lead == null || lead.mode != Leadership.Mode.ACTIVE)
        {
            return;
        }
        final PartitionTurns turns = lead.serving.get(sourcePartition);
        if (turns == null)
        {
            return;
        }
        final Batch batch = lead.pendingBatch();
        if (turns.messaging.acknowledge(targetPartition, sequence, batch.entry) == 0 && batch.isEmpty())
        {
            lead.pending = null;
        }
    }

    /**
     * Delivers a message to every agent of a type in one partition: each durable agent whose state
     * is committed, each active ephemeral agent. Every durable delivery carries the idempotency key
     * of the broadcast, so a broadcast retried (by the router after a leader change, or by a client
     * with the same key) reaches each agent once. The partition answers when every delivery has
     * committed, or with the first retryable failure among them.
     */
    void broadcast(
        final int partition, final String type, final byte[] payload, final String broadcastKey, final Replier replier)
    {
        final Leadership lead = leadership;
        if (lead == null)
        {
            replier.reply(runtime.redirectFor(partition));
            return;
        }
        if (lead.mode != Leadership.Mode.ACTIVE)
        {
            replier.reply(Response.error(Status.UNAVAILABLE, "group " + label + " is resynchronising"));
            return;
        }
        final PartitionTurns turns = lead.serving.get(partition);
        if (turns == null)
        {
            replier.reply(runtime.redirectFor(partition));
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
            turns.ephemeralAgents.keySet().stream().filter(id -> id.type().equals(type)).forEach(targets::add);
        }
        else
        {
            turns.store.scan(KeySpaces.statePrefix(type), (key, value) ->
            {
                targets.add(KeySpaces.agentOfStateKey(key));
                return true;
            });
        }
        final BroadcastTally tally = new BroadcastTally(partition, replier, targets.size());
        for (final AgentId target : targets)
        {
            // One admitted broadcast: its deliveries queue behind the batch limit, not the mailbox limit.
            final Envelope envelope = Envelope.request(target, partition, payload, false, tally, 0, broadcastKey);
            if (!parked.isEmpty() || mustWaitForCommit(lead))
            {
                parked.add(envelope);
            }
            else
            {
                turn(lead, turns, envelope);
            }
        }
    }

    /**
     * Gathers the answers of one broadcast's deliveries in a partition into the partition's answer.
     * Used on the loop thread only.
     */
    private static final class BroadcastTally implements Replier
    {
        private final int partition;
        private final Replier replier;
        private int outstanding;
        private int delivered;
        private int refused;
        private Response retryable;

        BroadcastTally(final int partition, final Replier replier, final int targets)
        {
            this.partition = partition;
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
                ",\"refused\":" + refused + "}").getBytes(StandardCharsets.UTF_8)));
        }
    }

    private boolean answerRepeatedRequest(
        final Leadership lead, final PartitionTurns turns, final Envelope envelope, final String idempotencyId)
    {
        final Response pendingReply = turns.idempotentPending.get(idempotencyId);
        if (pendingReply != null)
        {
            runtime.metrics().idempotentReplays.inc();
            lead.pendingBatch().outputs.add(new Reply(envelope.replier, pendingReply));
            return true;
        }
        final byte[] stored = turns.store.get(KeySpaces.idempotencyKey(envelope.target, envelope.idempotencyKey));
        if (stored != null)
        {
            final ByteBuffer buffer = ByteBuffer.wrap(stored);
            final Status status = Status.get(buffer.get());
            final long expiresAtMs = buffer.getLong();
            if (expiresAtMs > loop.nowMs())
            {
                final byte[] payload = new byte[buffer.remaining()];
                buffer.get(payload);
                runtime.metrics().idempotentReplays.inc();
                envelope.replier.reply(new Response(status, payload, null, lead.term));
                return true;
            }
        }
        return false;
    }

    private void rememberReply(
        final Batch batch,
        final PartitionTurns turns,
        final Envelope envelope,
        final String idempotencyId,
        final Response reply)
    {
        if (idempotencyId == null)
        {
            return;
        }
        final byte[] payload = reply.payload();
        final byte[] record = ByteBuffer.allocate(1 + 8 + payload.length)
            .put((byte)reply.status().value())
            .putLong(loop.nowMs() + runtime.limits().idempotencyRetention().toMillis())
            .put(payload)
            .array();
        batch.entry.put(turns.partition, KeySpaces.idempotencyKey(envelope.target, envelope.idempotencyKey), record);
        turns.idempotentPending.put(idempotencyId, reply);
        batch.outputs.add(new Idempotent(turns.partition, idempotencyId));
    }

    private int sweepExpiredIdempotencyKeys(final Leadership lead, final long nowMs)
    {
        int swept = 0;
        for (final PartitionTurns turns : lead.serving.values())
        {
            final List<byte[]> expired = new ArrayList<>();
            turns.store.scan(new byte[] {KeySpaces.IDEMPOTENCY}, (key, value) ->
            {
                if (ByteBuffer.wrap(value, 1, 8).getLong() <= nowMs)
                {
                    expired.add(key);
                }
                return expired.size() < 10_000;
            });
            if (!expired.isEmpty())
            {
                final Batch batch = lead.pendingBatch();
                expired.forEach(key -> batch.entry.delete(turns.partition, key));
                swept += expired.size();
            }
        }
        return swept;
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

    private void applyTimerOp(
        final Leadership lead,
        final Batch batch,
        final int partition,
        final AgentId agent,
        final TurnContext.TimerOp op)
    {
        final TimerId id = new TimerId(agent, op.name());
        final Timer previous = lead.removeTimer(id);
        if (previous != null)
        {
            batch.entry.delete(partition, previous.storeKey());
        }
        if (op.payload() != null)
        {
            final Timer timer = new Timer(partition, id, op.dueMillis(), op.payload());
            lead.addTimer(timer);
            batch.entry.put(partition, timer.storeKey(), op.payload());
        }
    }

    int pendingTimers()
    {
        final Leadership lead = leadership;
        return lead == null ? 0 : lead.timers.size();
    }

    private PartitionTurns.Activation activate(
        final PartitionTurns turns, final AgentId id, final AgentType<Object, Object> type, final boolean durable)
    {
        final Map<AgentId, PartitionTurns.Activation> map = durable ? turns.agents : turns.ephemeralAgents;
        PartitionTurns.Activation activation = map.get(id);
        if (activation != null && activation.type != type)
        {
            // A new version was activated since this loop last looked: move the agent now.
            activation = moveToVersion(id, activation, type);
            map.put(id, activation);
        }
        if (activation == null)
        {
            final byte[] stored = durable ? turns.store.get(KeySpaces.stateKey(id)) : null;
            final Object state;
            try
            {
                state = stored == null ? type.initialState(id) : decodeStored(id, type, stored);
            }
            catch (final RuntimeException ex)
            {
                throw new CodecException("stored state of " + id + " cannot be read by version " +
                    runtime.registry().versionOf(type) + " of its type: " + ex, ex);
            }
            activation = new PartitionTurns.Activation(type, state);
            map.put(id, activation);
        }
        return activation;
    }

    private Object decodeStored(final AgentId id, final AgentType<Object, Object> type, final byte[] stored)
    {
        final String writtenBy = StoredState.writtenBy(stored);
        final byte[] state = StoredState.state(stored);
        return java.util.Objects.equals(writtenBy, runtime.registry().versionOf(type)) ?
            type.stateCodec().decode(state) : type.migrate(id, writtenBy, state);
    }

    /**
     * Moves every agent whose type has a new version to it: the state it has now (committed or
     * not), encoded by the old version, is migrated by the new one. Runs on the loop between turns,
     * so no turn of the agent is running. An agent whose migration fails stays on its old version,
     * which then cannot drain; the failure is counted and logged.
     */
    @SuppressWarnings("unchecked")
    private void moveToCurrentVersions(final long registryGeneration)
    {
        final Leadership lead = leadership;
        if (lead != null)
        {
            for (final PartitionTurns turns : lead.serving.values())
            {
                moveToCurrentVersions(turns.agents);
                moveToCurrentVersions(turns.ephemeralAgents);
            }
        }
        countActivationsByLoader();
        migratedGeneration = registryGeneration;
    }

    @SuppressWarnings("unchecked")
    private void moveToCurrentVersions(final Map<AgentId, PartitionTurns.Activation> agents)
    {
        final AgentRegistry registry = runtime.registry();
        for (final Map.Entry<AgentId, PartitionTurns.Activation> entry : agents.entrySet())
        {
            final PartitionTurns.Activation activation = entry.getValue();
            final AgentType<Object, Object> current = (AgentType<Object, Object>)registry.find(entry.getKey().type());
            if (current != null && current != activation.type)
            {
                entry.setValue(moveToVersion(entry.getKey(), activation, current));
            }
        }
    }

    /**
     * @return the agent on the new version, with its state migrated; or the old activation, on
     * its old version, when the migration failed.
     */
    private PartitionTurns.Activation moveToVersion(
        final AgentId id, final PartitionTurns.Activation activation, final AgentType<Object, Object> next)
    {
        try
        {
            final byte[] old = activation.type.stateCodec().encode(activation.state);
            final Object state = next.migrate(id, runtime.registry().versionOf(activation.type), old);
            if (state == null)
            {
                throw new IllegalStateException("migrate returned null");
            }
            final PartitionTurns.Activation moved = new PartitionTurns.Activation(next, state);
            moved.lastSeq = activation.lastSeq;
            moved.lastUsedNs = activation.lastUsedNs;
            runtime.metrics().versionMoves.labelValues("moved").inc();
            return moved;
        }
        catch (final RuntimeException | LinkageError ex)
        {
            runtime.metrics().versionMoves.labelValues("failed").inc();
            if (errorLog.tryAcquire(System.nanoTime()) > 0)
            {
                LOG.error("agent {} stays on its old version: moving its state to the new one failed", id, ex);
            }
            return activation;
        }
    }

    private void countActivationsByLoader()
    {
        final Leadership lead = leadership;
        final Map<ClassLoader, Integer> counts = new java.util.HashMap<>();
        final Map<String, Integer> byType = new java.util.HashMap<>();
        if (lead != null)
        {
            for (final PartitionTurns turns : lead.serving.values())
            {
                for (final PartitionTurns.Activation a : turns.agents.values())
                {
                    counts.merge(a.type.getClass().getClassLoader(), 1, Integer::sum);
                    byType.merge(a.type.name(), 1, Integer::sum);
                }
                for (final PartitionTurns.Activation a : turns.ephemeralAgents.values())
                {
                    counts.merge(a.type.getClass().getClassLoader(), 1, Integer::sum);
                    byType.merge(a.type.name(), 1, Integer::sum);
                }
            }
        }
        final Map<String, Integer> waiting = new java.util.HashMap<>();
        for (final Envelope envelope : parked)
        {
            waiting.merge(envelope.target.type(), 1, Integer::sum);
        }
        activationsByLoader = counts;
        activeByType = byType;
        waitingByType = waiting;
    }

    /** @return the agents active in memory here, by type, as of the last sweep. */
    Map<String, Integer> activeByType()
    {
        return activeByType;
    }

    /**
     * @return messages waiting here for their agents' turns (held while the group's batch commits
     * or while it changes leader), by the agents' type, as of the last sweep.
     */
    Map<String, Integer> waitingByType()
    {
        return waitingByType;
    }

    /** @return the agents active in memory here, by the class loader of their type, as of the last sweep. */
    Map<ClassLoader, Integer> activationsByLoader()
    {
        return activationsByLoader;
    }

    /** @return the registry generation whose versions every agent here has moved to. */
    long migratedGeneration()
    {
        return migratedGeneration;
    }

    private void propose(final Leadership lead, final Batch batch, final long nowNs)
    {
        if (batch == lead.pending)
        {
            lead.pending = null;
        }
        lead.inFlight = batch;
        batch.proposedNs = nowNs;
        final byte[] bytes = batch.entry.encode();
        runtime.metrics().batchTurns.labelValues(label).observe(batch.turns);
        runtime.metrics().batchBytes.labelValues(label).observe(bytes.length);
        runtime.propose(group, bytes).whenComplete((result, ex) ->
        {
            final ProposalResult outcome = result != null ? result :
                new ProposalResult(ProposalResult.Status.UNKNOWN, -1, null);
            loop.control(() -> onProposalResult(lead, batch, outcome));
        });
    }

    private void onProposalResult(final Leadership lead, final Batch batch, final ProposalResult result)
    {
        if (lead.inFlight == batch)
        {
            lead.inFlight = null;
        }
        runtime.metrics().commitSeconds.labelValues(label).observe((loop.nowNs() - batch.proposedNs) / 1e9);
        runtime.metrics().proposals.labelValues(result.status().name().toLowerCase()).inc();
        if (result.status() == ProposalResult.Status.APPLIED)
        {
            lead.committedSeq = Math.max(lead.committedSeq, batch.seq);
            release(lead, batch);
            if (batch.barrier && lead.mode == Leadership.Mode.RESYNC && leadership == lead)
            {
                lead.barrierBackoffNs = 0;
                lead.mode = Leadership.Mode.ACTIVE;
                loadCommittedState(lead);
                publish(lead);
                LOG.info("group={} resync complete term={}", label, lead.term);
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
        failBatch(lead, batch, failure);
        if (leadership != lead)
        {
            return;
        }
        if (result.status() == ProposalResult.Status.NOT_LEADER && runtime.readyLeaderTerm(group) != lead.term)
        {
            becomeFollower(result.leaderHint());
            return;
        }
        // Still leader (perhaps stepping down, or the outcome is unknown): confirm the committed
        // state with a barrier, backing off while barriers keep failing.
        lead.barrierBackoffNs = batch.barrier ?
            Math.min(MAX_BARRIER_BACKOFF_NS, Math.max(MIN_BARRIER_BACKOFF_NS, lead.barrierBackoffNs * 2)) : 0;
        lead.nextBarrierNs = loop.nowNs() + lead.barrierBackoffNs;
        if (lead.mode != Leadership.Mode.RESYNC)
        {
            enterResync(lead);
        }
    }

    private void release(final Leadership lead, final Batch batch)
    {
        for (final Output output : batch.outputs)
        {
            if (output instanceof Reply reply)
            {
                reply.replier().reply(reply.response());
            }
            else if (output instanceof Transmit transmit)
            {
                transmit.message().committed = true;
                final PartitionTurns turns = lead.serving.get(transmit.partition());
                if (turns != null && turns.epoch == transmit.epoch())
                {
                    turns.messaging.sent(transmit.message(), loop.nowNs());
                }
                runtime.router().sendAgentMessage(transmit.partition(), Fences.of(transmit.epoch(), batch.term),
                    transmit.message());
            }
            else if (output instanceof Ack ack)
            {
                runtime.router().sendAck(ack.sourcePartition(), ack.partition(), Fences.of(ack.epoch(), batch.term),
                    ack.sequence());
            }
            else if (output instanceof Tell tell)
            {
                runtime.sendAtMostOnce(tell.target(), tell.payload(), tell.sender());
            }
            else if (output instanceof Consumed consumed)
            {
                final PartitionTurns turns = lead.serving.get(consumed.partition());
                if (turns != null)
                {
                    turns.messaging.committedConsumption(consumed.sourcePartition(), consumed.sequence());
                }
            }
            else if (output instanceof Idempotent idempotent)
            {
                final PartitionTurns turns = lead.serving.get(idempotent.partition());
                if (turns != null)
                {
                    turns.idempotentPending.remove(idempotent.id());
                }
            }
            else if (output instanceof HandoffAnswer answer)
            {
                answer.replier().reply(handoffAnswer(answer.partition(), answer.epoch()));
            }
        }
    }

    private Response handoffAnswer(final int partition, final long epoch)
    {
        final Ownership now = runtime.ownership(group, partition);
        if (now != null && now.owned() && now.epoch() >= epoch)
        {
            return Response.ok(Handoff.encodeAnswer(Handoff.Answer.DONE, 0));
        }
        if (now != null && now.state() == Ownership.State.ADOPTING && now.epoch() == epoch)
        {
            return Response.ok(Handoff.encodeAnswer(Handoff.Answer.NEXT, now.nextChunk()));
        }
        if (runtime.retired(group))
        {
            return Response.ok(Handoff.encodeAnswer(Handoff.Answer.RETIRED, 0));
        }
        return Response.ok(Handoff.encodeAnswer(Handoff.Answer.NEXT, 0));
    }

    private void failBatch(final Leadership lead, final Batch batch, final Response failure)
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
            else if (output instanceof HandoffAnswer answer)
            {
                answer.replier().reply(failure);
            }
            else if (output instanceof Idempotent idempotent)
            {
                final PartitionTurns turns = lead.serving.get(idempotent.partition());
                if (turns != null)
                {
                    turns.idempotentPending.remove(idempotent.id());
                }
            }
        }
        batch.outputs.clear();
        for (final Handoff handoff : lead.outgoing.values())
        {
            handoff.releaseFailed();
        }
    }

    private int passivateIdle(final long nowNs)
    {
        final Leadership lead = leadership;
        if (lead == null)
        {
            return 0;
        }
        final long idleNs = runtime.limits().passivateAfter().toNanos();
        int passivated = 0;
        for (final PartitionTurns turns : lead.serving.values())
        {
            for (final Iterator<PartitionTurns.Activation> it = turns.agents.values().iterator(); it.hasNext(); )
            {
                final PartitionTurns.Activation activation = it.next();
                if (nowNs - activation.lastUsedNs > idleNs && activation.lastSeq <= lead.committedSeq)
                {
                    it.remove();
                    passivated++;
                }
            }
        }
        return passivated;
    }

    /**
     * One chunk of a handoff, as it travels from the source's leader to the target's.
     *
     * @param partition   the partition.
     * @param epoch       the handoff's epoch.
     * @param sourceGroup the group handing it over.
     * @param targetGroup the group adopting it.
     * @param chunk       the chunk's number.
     * @param last        whether it completes the range.
     * @param data        its pairs, as {@link RangeChunks} encodes them.
     */
    record HandoffChunk(
        int partition, long epoch, long sourceGroup, long targetGroup, int chunk, boolean last, byte[] data)
    {
    }
}
