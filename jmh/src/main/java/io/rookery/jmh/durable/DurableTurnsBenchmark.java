package io.rookery.jmh.durable;

import java.util.concurrent.TimeUnit;

import io.rookery.jmh.CallWindow;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Durable turns per second on a default 3-node cluster (256 partitions in three Raft groups of 3
 * replicas): group commit (many turns of many partitions per Raft entry) beside one entry per turn
 * (the same runtime with batches of one), in the same run. Each operation is one acknowledged
 * increment of a counter agent; a window of asks stays in flight, one per counter, the counters
 * spread over all the partitions. One entry per
 * turn keeps 256 in flight: it is bound by entries, and a deeper queue would only wait longer
 * (4,096 in flight at ~700 turns/s is ~6 s per ask, past the request timeout).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 15)
@Measurement(iterations = 3, time = 15)
@Fork(value = 1)
@Threads(1)
public class DurableTurnsBenchmark
{
    static final int TURNS_PER_INVOCATION = 2048;

    @Param({"group-commit", "one-entry-per-turn"})
    public String mode;

    /**
     * Asks in flight. Group commit gains with concurrency (an entry carries about window / (2 x 16)
     * turns), so the figure is taken near saturation: 1,024 left entries at ~30 turns and the
     * throughput still rising steeply (docs/performance.md has the sweep).
     */
    @Param({"4096"})
    public int window;

    private DurableCluster cluster;
    private CallWindow calls;

    @Setup(Level.Trial)
    public void start()
    {
        // As many counters as asks in flight: each ask of a batch writes its own agent's state, so
        // the figure is group commit's, not that of several turns of one agent logging one write.
        cluster = new DurableCluster("group-commit".equals(mode), Math.max(1024, window));
        calls = new CallWindow("group-commit".equals(mode) ? window : Math.min(window, 256));
    }

    @TearDown(Level.Trial)
    public void stop()
    {
        try
        {
            calls.drain();
            final long total = cluster.total();
            if (calls.failures() > 0 || total != calls.completed())
            {
                throw new IllegalStateException(calls.failures() + " increments were not acknowledged; " +
                    "counters sum to " + total + " after " + calls.completed() + " increments");
            }
        }
        finally
        {
            cluster.close();
        }
    }

    @Benchmark
    @OperationsPerInvocation(TURNS_PER_INVOCATION)
    public void durableTurns()
    {
        calls.issue(TURNS_PER_INVOCATION, cluster::increment);
    }
}
