package io.rookery.jmh;

import java.util.concurrent.CompletionStage;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * A closed loop of asynchronous calls (replicated writes) that keeps {@code size} of them in
 * flight for as long as a trial runs. The window does not empty at the end of each benchmark
 * invocation: waiting for the last calls of every invocation would measure a pipeline that
 * drains and refills, with small commit batches at both ends, rather than the steady state. The
 * calls still outstanding when an iteration ends are at most {@code size}, a fraction of a percent
 * of an iteration's calls. {@link #drain()} waits for all of them at the end of a trial.
 */
public final class CallWindow
{
    private final Semaphore permits;
    private final int size;
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong completed = new AtomicLong();

    public CallWindow(final int size)
    {
        this.size = size;
        this.permits = new Semaphore(size);
    }

    /**
     * Starts {@code count} calls, each once the window has room, without waiting for the last ones.
     *
     * @param call starts one call; it completes with whether the call succeeded.
     * @throws IllegalStateException when no call completes for {@link Window#STALL_NS}.
     */
    public void issue(final int count, final Supplier<? extends CompletionStage<Boolean>> call)
    {
        for (int i = 0; i < count; i++)
        {
            acquire(1);
            call.get().whenComplete((ok, ex) ->
            {
                if (ok == null || !ok)
                {
                    failures.incrementAndGet();
                }
                completed.incrementAndGet();
                permits.release();
            });
        }
    }

    /**
     * Waits until every call started has completed.
     */
    public void drain()
    {
        acquire(size);
        permits.release(size);
    }

    public long failures()
    {
        return failures.get();
    }

    public long completed()
    {
        return completed.get();
    }

    private void acquire(final int n)
    {
        try
        {
            if (!permits.tryAcquire(n, Window.STALL_NS, TimeUnit.NANOSECONDS))
            {
                throw new IllegalStateException("stalled: " + (size - permits.availablePermits()) +
                    " calls still in flight after " + TimeUnit.NANOSECONDS.toSeconds(Window.STALL_NS) + " s");
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the window", ex);
        }
    }
}
