package io.rookery.node;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.TreeMap;

import io.rookery.api.AgentId;
import io.rookery.raft.LogEntry;

/**
 * Everything a group's leader holds for one term, created when the node becomes the group's ready
 * leader and dropped when it stops leading: the partitions it serves, their timers, the batch
 * gathering turns and the one in flight, and the handoffs it drives. Nothing of it outlives the
 * term, so nothing is left behind from an older one. Used on the group's loop thread only.
 */
final class Leadership
{
    /** Whether the leader runs turns, or first confirms what an uncertain entry became. */
    enum Mode
    {
        ACTIVE, RESYNC
    }

    /**
     * A durable timer of an agent in one of the served partitions.
     */
    static final class Timer
    {
        final int partition;
        final TimerId id;
        final long dueMillis;
        final byte[] payload;

        Timer(final int partition, final TimerId id, final long dueMillis, final byte[] payload)
        {
            this.partition = partition;
            this.id = id;
            this.dueMillis = dueMillis;
            this.payload = payload;
        }

        byte[] storeKey()
        {
            return KeySpaces.timerKey(dueMillis, id.agent(), id.name());
        }
    }

    /**
     * @param agent the agent.
     * @param name  the timer's name.
     */
    record TimerId(AgentId agent, String name)
    {
    }

    /**
     * Turns gathered into one log entry, with what they may release once it commits.
     */
    static final class Batch
    {
        final long seq;
        final long term;
        final LogEntry entry;
        final List<Output> outputs = new ArrayList<>();
        final boolean barrier;
        int turns;
        long proposedNs;

        Batch(final long seq, final long term, final boolean barrier)
        {
            this.seq = seq;
            this.term = term;
            this.entry = new LogEntry(term);
            this.barrier = barrier;
        }

        boolean isEmpty()
        {
            return entry.isEmpty() && outputs.isEmpty();
        }
    }

    /**
     * Something a turn produced that may leave the node only once its entry commits.
     */
    sealed interface Output permits Reply, Transmit, Ack, Tell, Consumed, Idempotent, HandoffAnswer
    {
    }

    /** The answer to whoever is waiting on the message. */
    record Reply(Replier replier, Response response) implements Output
    {
    }

    /** A durable message written to a partition's outbox: sent for the first time. */
    record Transmit(int partition, long epoch, OutboxMessage message) implements Output
    {
    }

    /** The acknowledgement of a consumed durable message. */
    record Ack(int partition, long epoch, int sourcePartition, long sequence) implements Output
    {
    }

    /** An at-most-once message (to or from an ephemeral agent). */
    record Tell(AgentId target, byte[] payload, AgentId sender) implements Output
    {
    }

    /** A durable message's consumption, committed with the batch. */
    record Consumed(int partition, int sourcePartition, long sequence) implements Output
    {
    }

    /** A reply kept for an idempotency key, pending until the batch commits. */
    record Idempotent(int partition, String id) implements Output
    {
    }

    /** The answer to a handoff chunk, read from the applied state once the batch carrying it commits. */
    record HandoffAnswer(Replier replier, int partition, long epoch) implements Output
    {
    }

    final long term;
    Mode mode = Mode.ACTIVE;
    final Map<Integer, PartitionTurns> serving = new TreeMap<>();
    final Map<Integer, Handoff> outgoing = new TreeMap<>();
    final PriorityQueue<Timer> timers = new PriorityQueue<>(Comparator.comparingLong((Timer t) -> t.dueMillis));
    final Map<TimerId, Timer> timersById = new HashMap<>();
    Batch pending;
    Batch inFlight;
    long nextSeq = 1;
    long committedSeq;
    long nextResendCheckNs;
    long nextIdempotencySweepMs;
    long nextBarrierNs;
    long barrierBackoffNs;
    boolean genesisProposed;

    Leadership(final long term)
    {
        this.term = term;
    }

    Batch pendingBatch()
    {
        if (pending == null)
        {
            pending = new Batch(nextSeq++, term, false);
        }
        return pending;
    }

    void addTimer(final Timer timer)
    {
        timers.add(timer);
        timersById.put(timer.id, timer);
    }

    Timer removeTimer(final TimerId id)
    {
        final Timer previous = timersById.remove(id);
        if (previous != null)
        {
            timers.remove(previous);
        }
        return previous;
    }

    void dropTimersOf(final int partition)
    {
        timers.removeIf(t -> t.partition == partition);
        timersById.values().removeIf(t -> t.partition == partition);
    }

    int activeAgents()
    {
        int active = 0;
        for (final PartitionTurns turns : serving.values())
        {
            active += turns.activeAgents();
        }
        return active;
    }
}
