package io.rookery.node;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;

/**
 * A single-threaded loop that owns several partitions: every turn, commit result and role change
 * of those partitions runs on its thread, so partition state needs no locks.
 * <p>
 * Two queues feed it. Messages for agents arrive on a bounded queue: when it is full the sender
 * is told the node is overloaded. Control events (role changes, commit results) arrive on an
 * unbounded queue: they are few, bounded by the number of partitions and entries in flight, and
 * must never be dropped.
 */
final class PartitionLoop implements Agent
{
    private final int index;
    private final ManyToOneConcurrentArrayQueue<Envelope> inbox;
    private final Queue<Runnable> control = new ConcurrentLinkedQueue<>();
    private final PartitionRuntime[] byPartition;
    private final List<PartitionRuntime> owned = new ArrayList<>();
    private final TurnContext turnContext = new TurnContext();
    private final int drainLimit;
    private final WakeableIdleStrategy idleStrategy;
    private long nowNs = System.nanoTime();
    private long nowMs = System.currentTimeMillis();

    PartitionLoop(final int index, final AgentRuntime runtime, final int partitionCount, final int loopCount)
    {
        this.index = index;
        this.inbox = new ManyToOneConcurrentArrayQueue<>(runtime.limits().loopQueueCapacity());
        this.drainLimit = 256;
        this.idleStrategy = new WakeableIdleStrategy(runtime.limits().idleSpins(), 10, TimeUnit.MILLISECONDS,
            () -> !inbox.isEmpty() || !control.isEmpty());
        this.byPartition = new PartitionRuntime[partitionCount];
        for (int p = index; p < partitionCount; p += loopCount)
        {
            final PartitionRuntime partition = new PartitionRuntime(p, runtime, this);
            byPartition[p] = partition;
            owned.add(partition);
        }
    }

    boolean offer(final Envelope envelope)
    {
        final boolean accepted = inbox.offer(envelope);
        idleStrategy.signal();
        return accepted;
    }

    void control(final Runnable event)
    {
        control.add(event);
        idleStrategy.signal();
    }

    IdleStrategy idleStrategy()
    {
        return idleStrategy;
    }

    PartitionRuntime partition(final int partition)
    {
        return byPartition[partition];
    }

    List<PartitionRuntime> partitions()
    {
        return owned;
    }

    int queued()
    {
        return inbox.size();
    }

    TurnContext turnContext()
    {
        return turnContext;
    }

    long nowNs()
    {
        return nowNs;
    }

    long nowMs()
    {
        return nowMs;
    }

    public int doWork()
    {
        nowNs = System.nanoTime();
        nowMs = System.currentTimeMillis();
        int work = 0;
        Runnable event;
        while ((event = control.poll()) != null)
        {
            event.run();
            work++;
        }
        work += inbox.drain(this::dispatch, drainLimit);
        for (int i = 0, n = owned.size(); i < n; i++)
        {
            work += owned.get(i).doWork(nowNs);
        }
        return work;
    }

    public void onClose()
    {
        Runnable event;
        while ((event = control.poll()) != null)
        {
            event.run();
        }
        Envelope envelope;
        while ((envelope = inbox.poll()) != null)
        {
            envelope.replier.reply(Response.error(io.rookery.transport.codecs.Status.UNAVAILABLE,
                "node is shutting down"));
        }
        for (final PartitionRuntime partition : owned)
        {
            partition.close();
        }
    }

    public String roleName()
    {
        return "rookery-partition-loop-" + index;
    }

    private void dispatch(final Envelope envelope)
    {
        byPartition[envelope.partition].deliver(envelope);
    }
}
