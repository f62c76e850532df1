package io.rookery.jmh.peers;

import java.util.concurrent.TimeUnit;

import io.rookery.jmh.Link;
import io.rookery.jmh.WindowedLinkBenchmark;
import io.rookery.jmh.transport.EphemeralTellLink;
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
 * Agent messaging across two nodes, Rookery beside Apache Pekko, in the same run: messages per
 * second handled by the receiving actor or agent, with the same window of 2,000 messages in
 * flight for every system (a message that never arrives fails the run) and the same payloads.
 * <ul>
 *   <li>{@code rookery-tell}: {@code tellEphemeral} from one node to an ephemeral agent led by the
 *       other (two full nodes: Aeron transport, Raft groups, gossip, partition loops);</li>
 *   <li>{@code pekko-artery-tcp}, {@code pekko-artery-aeron-udp}: classic remoting between two
 *       actor systems, a tell from the benchmark thread to a remote actor.</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(value = 1)
@Threads(1)
public class TellPeersBenchmark extends WindowedLinkBenchmark
{
    static final int WINDOW = 2000;

    @Param({"rookery-tell", "pekko-artery-tcp", "pekko-artery-aeron-udp"})
    public String system;

    @Param({"64", "1024"})
    public int payload;

    protected Link open()
    {
        return switch (system)
        {
            case "rookery-tell" -> new EphemeralTellLink(true, payload, 0, false);
            case "pekko-artery-tcp" -> new PekkoLink("tcp", payload);
            case "pekko-artery-aeron-udp" -> new PekkoLink("aeron-udp", payload);
            default -> throw new IllegalArgumentException("unknown system " + system);
        };
    }

    protected int windowSize()
    {
        return WINDOW;
    }

    @Benchmark
    public void tell()
    {
        sendOne();
    }
}
