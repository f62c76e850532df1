package io.rookery.jmh.transport;

import java.util.concurrent.TimeUnit;

import io.rookery.jmh.Link;
import io.rookery.jmh.WindowedLinkBenchmark;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Ephemeral agent tells per second, across nodes and on one node, handled by the agent (a window
 * of 4096 bounds what may be in flight; every iteration ends by waiting for every tell). Compare
 * with {@link TransportBenchmark}'s raw Aeron figure at the same MTU from the same run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(value = 1)
@Threads(1)
public class EphemeralTellBenchmark extends WindowedLinkBenchmark
{
    @Param({"cross-node", "same-node"})
    public String route;

    @Param({"64"})
    public int payload;

    /** on: both nodes share a cluster secret, so gossip is sealed and every Aeron datagram carries a MAC. */
    @Param({"off", "on"})
    public String secret;

    /** Aeron MTU of both nodes: 1408 is a node's default on a network, 8192 on loopback. */
    @Param({"1408", "8192"})
    public int mtu;

    protected Link open()
    {
        return new EphemeralTellLink("cross-node".equals(route), payload, mtu, "on".equals(secret));
    }

    protected int windowSize()
    {
        return TransportBenchmark.WINDOW;
    }

    @Benchmark
    public void tell()
    {
        sendOne();
    }
}
