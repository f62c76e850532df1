package io.rookery.node;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import org.agrona.concurrent.IdleStrategy;

/**
 * Idle strategy of a partition loop: spin briefly, then park until a producer signals new work
 * (or a short timeout passes, for time-driven work such as timers). A loop with nothing to do
 * costs a wake-up every {@code maxPark}, not a thousand a second, and a message arriving at an
 * idle loop is picked up at once instead of after the rest of a park.
 * <p>
 * The park flag is written before the queues are checked, and producers write their queue before
 * reading the flag, so either the loop sees the new item or the producer sees the loop parked
 * and unparks it.
 */
final class WakeableIdleStrategy implements IdleStrategy
{
    private final int maxSpins;
    private final long maxParkNs;
    private final BooleanSupplier hasWork;
    private volatile Thread owner;
    private volatile boolean parked;
    private int spins;

    WakeableIdleStrategy(final int maxSpins, final long maxPark, final TimeUnit unit, final BooleanSupplier hasWork)
    {
        this.maxSpins = maxSpins;
        this.maxParkNs = unit.toNanos(maxPark);
        this.hasWork = hasWork;
    }

    /**
     * Wakes the loop if it is parked. Call after publishing work for it.
     */
    void signal()
    {
        if (parked)
        {
            final Thread thread = owner;
            if (thread != null)
            {
                LockSupport.unpark(thread);
            }
        }
    }

    public void idle(final int workCount)
    {
        if (workCount > 0)
        {
            spins = 0;
            return;
        }
        idle();
    }

    public void idle()
    {
        if (spins < maxSpins)
        {
            spins++;
            Thread.onSpinWait();
            return;
        }
        if (owner == null)
        {
            owner = Thread.currentThread();
        }
        parked = true;
        if (!hasWork.getAsBoolean())
        {
            LockSupport.parkNanos(this, maxParkNs);
        }
        parked = false;
    }

    public void reset()
    {
        spins = 0;
    }

    public String alias()
    {
        return "wakeable";
    }
}
