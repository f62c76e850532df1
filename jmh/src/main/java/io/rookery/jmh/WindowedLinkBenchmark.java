package io.rookery.jmh;

import java.io.IOException;

import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The shape every messaging benchmark shares: a {@link Link} opened once per trial, a
 * {@link Window} bounding the messages in flight, and each iteration ending only once every
 * message sent has been handled, so a score is never what queues absorbed. Subclasses say what
 * the link is and declare the {@code @Benchmark} method, which calls {@link #sendOne()}.
 */
public abstract class WindowedLinkBenchmark
{
    private Link link;
    private Window window;

    /**
     * @return the link under test, started and ready to send.
     * @throws IOException if its directories cannot be created.
     */
    protected abstract Link open() throws IOException;

    /**
     * @return messages that may be sent and not yet handled.
     */
    protected abstract int windowSize();

    @Setup(Level.Trial)
    public final void start() throws IOException
    {
        link = open();
        window = new Window(link, windowSize());
    }

    @TearDown(Level.Iteration)
    public final void everyMessageArrived()
    {
        window.drain();
    }

    @TearDown(Level.Trial)
    public void stop()
    {
        link.close();
    }

    /**
     * Sends one message once the window has room.
     */
    protected final void sendOne()
    {
        window.sendOne();
    }
}
