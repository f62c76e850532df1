package io.rookery.transport;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Lets one log line through per interval and counts what it held back, so a flood of bad input
 * costs a counter increment rather than a disk full of logs.
 */
public final class LogLimiter
{
    private final long intervalNs;
    private final AtomicLong nextAllowedNs = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong suppressed = new AtomicLong();

    /**
     * @param interval between two lines that get through.
     * @param unit of {@code interval}.
     */
    public LogLimiter(final long interval, final TimeUnit unit)
    {
        this.intervalNs = unit.toNanos(interval);
    }

    /**
     * @param nowNs the caller's monotonic clock reading.
     * @return the number of lines held back since the last one that got through plus one when this
     * one may be logged, or 0 when it must be held back.
     */
    public long tryAcquire(final long nowNs)
    {
        final long next = nextAllowedNs.get();
        if (nowNs - next >= 0 || next == Long.MIN_VALUE)
        {
            if (nextAllowedNs.compareAndSet(next, nowNs + intervalNs))
            {
                return suppressed.getAndSet(0) + 1;
            }
        }
        suppressed.incrementAndGet();
        return 0;
    }
}
