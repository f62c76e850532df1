package io.rookery.node;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import io.rookery.transport.codecs.Status;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;

/**
 * A single-threaded loop that owns several group replicas: every turn, commit result, role change
 * and handoff step of those groups runs on its thread, so their state needs no locks.
 * <p>
 * Two queues feed it. Messages for agents arrive on a bounded queue: when it is full the sender
 * is told the node is overloaded. Control events (role changes, commit results, ownership changes)
 * arrive on an unbounded queue: they are few, bounded by the number of groups and entries in
 * flight, and must never be dropped.
 */
final class TurnLoop implements Agent
{
    private final int index;
    private final ManyToOneConcurrentArrayQueue<Envelope> inbox;
    private final Queue<Runnable> control = new ConcurrentLinkedQueue<>();
    private final List<GroupRuntime> groups = new ArrayList<>();
    private final TurnContext turnContext = new TurnContext();
    private final int drainLimit;
    private final WakeableIdleStrategy idleStrategy;
    private volatile int groupCount;
    private long nowNs = System.nanoTime();
    private long nowMs = System.currentTimeMillis();

    TurnLoop(final int index, final AgentRuntime.Limits limits)
    {
        this.index = index;
        this.inbox = new ManyToOneConcurrentArrayQueue<>(limits.loopQueueCapacity());
        this.drainLimit = 256;
        this.idleStrategy = new WakeableIdleStrategy(limits.idleSpins(), 10, TimeUnit.MILLISECONDS,
            () -> !inbox.isEmpty() || !control.isEmpty());
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

    /** Adds a group replica to this loop (on the loop's thread). */
    void adopt(final GroupRuntime group)
    {
        control(() ->
        {
            groups.add(group);
            groupCount = groups.size();
        });
    }

    /** Removes a group replica from this loop and closes it (on the loop's thread). */
    void drop(final GroupRuntime group)
    {
        control(() ->
        {
            if (groups.remove(group))
            {
                group.close();
            }
            groupCount = groups.size();
        });
    }

    /** @return the groups on this loop; readable from any thread. */
    int groupCount()
    {
        return groupCount;
    }

    IdleStrategy idleStrategy()
    {
        return idleStrategy;
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
        for (int i = 0, n = groups.size(); i < n; i++)
        {
            work += groups.get(i).doWork(nowNs);
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
            envelope.replier.reply(Response.error(Status.UNAVAILABLE, "node is shutting down"));
        }
        for (final GroupRuntime group : groups)
        {
            group.close();
        }
    }

    public String roleName()
    {
        return "rookery-turn-loop-" + index;
    }

    private void dispatch(final Envelope envelope)
    {
        envelope.group.deliver(envelope);
    }
}
