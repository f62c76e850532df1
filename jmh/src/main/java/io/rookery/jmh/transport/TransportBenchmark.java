package io.rookery.jmh.transport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.rookery.jmh.Link;
import io.rookery.jmh.WindowedLinkBenchmark;
import io.rookery.transport.IdleProfile;
import org.agrona.IoUtil;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Messages per second from one node to another: plain Aeron between two media drivers beside
 * Rookery's transport between two nodes, same driver and channel settings, same payload, in the
 * same run. One operation is one message handled by the receiver (a window of 4096 bounds what
 * may be in flight, and every iteration ends by waiting for every message sent).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(value = 1)
@Threads(1)
public class TransportBenchmark extends WindowedLinkBenchmark
{
    static final int WINDOW = 4096;

    /** rookery-transport-mac: the same transport with every datagram authenticated (cluster secret on). */
    @Param({"raw-aeron", "rookery-transport", "rookery-transport-mac"})
    public String path;

    @Param({"64", "256", "1024"})
    public int payload;

    @Param({"polite"})
    public String idle;

    /** Aeron MTU of both ends: 1408 is a node's default on a network, 8192 on loopback. */
    @Param({"1408", "8192"})
    public int mtu;

    private Path dir;

    protected Link open() throws IOException
    {
        dir = Files.createTempDirectory(Path.of("/dev/shm"), "rookery-bench-");
        try
        {
            final IdleProfile profile = IdleProfile.parse(idle);
            return "raw-aeron".equals(path) ? new RawAeronLink(dir, payload, profile, mtu) :
                new RookeryTransportLink(dir, payload, profile, mtu, "rookery-transport-mac".equals(path));
        }
        catch (final RuntimeException | Error ex)
        {
            // A trial whose setup fails is never torn down by JMH.
            IoUtil.delete(dir.toFile(), true);
            throw ex;
        }
    }

    protected int windowSize()
    {
        return WINDOW;
    }

    @TearDown(Level.Trial)
    public void stop()
    {
        try
        {
            super.stop();
        }
        finally
        {
            IoUtil.delete(dir.toFile(), true);
        }
    }

    @Benchmark
    public void message()
    {
        sendOne();
    }
}
