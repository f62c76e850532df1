package io.rookery.jmh;

import java.util.concurrent.TimeUnit;

/**
 * Flow control of a throughput benchmark: at most {@code size} messages may be sent and not yet
 * received, so the figure is what the receiver handled, not what queues absorbed. A message that
 * never arrives stalls the window; after {@link #STALL_NS} the benchmark fails, so a lossy path
 * cannot post a score.
 */
public final class Window
{
    public static final long STALL_NS = TimeUnit.SECONDS.toNanos(10);

    private final Link link;
    private final int size;
    private long sent;

    public Window(final Link link, final int size)
    {
        this.link = link;
        this.size = size;
    }

    /**
     * Sends one message once the window has room and the link accepts it; yields while waiting,
     * since on a small machine the receiver needs the core.
     */
    public void sendOne()
    {
        if (sent - link.received() >= size || !link.trySend())
        {
            final long deadlineNs = System.nanoTime() + STALL_NS;
            while (sent - link.received() >= size || !link.trySend())
            {
                Thread.yield();
                if (System.nanoTime() - deadlineNs > 0)
                {
                    throw new IllegalStateException("stalled: " + (sent - link.received()) +
                        " messages sent but not received for 10 s");
                }
            }
        }
        sent++;
    }

    /**
     * Waits until every message sent has been received.
     *
     * @throws IllegalStateException naming how many never arrived.
     */
    public void drain()
    {
        final long deadlineNs = System.nanoTime() + STALL_NS;
        while (link.received() < sent)
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                throw new IllegalStateException((sent - link.received()) + " of " + sent + " messages never arrived");
            }
            Thread.yield();
        }
        if (link.received() > sent)
        {
            throw new IllegalStateException(link.received() + " messages received but only " + sent + " sent");
        }
    }
}
