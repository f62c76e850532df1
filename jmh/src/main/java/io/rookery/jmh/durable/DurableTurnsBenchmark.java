package io.rookery.jmh.durable;

import java.util.concurrent.TimeUnit;

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
 * Durable turns per second on a 3-node cluster with 3 replicas per partition: group commit (many
 * turns per Raft entry) beside one entry per turn (the same runtime with batches of one), in the
 * same run. Each operation is one acknowledged increment of a counter agent; a window of asks
 * stays in flight, spread over 1024 counters in all 16 partitions.
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

    @Param({"1024"})
    public int window;

    private DurableCluster cluster;

    @Setup(Level.Trial)
    public void start()
    {
        cluster = new DurableCluster("group-commit".equals(mode), 1024);
    }

    @TearDown(Level.Trial)
    public void stop()
    {
        final long failures = cluster.failures();
        cluster.close();
        if (failures > 0)
        {
            throw new IllegalStateException(failures + " increments were not acknowledged");
        }
    }

    @Benchmark
    @OperationsPerInvocation(TURNS_PER_INVOCATION)
    public void durableTurns()
    {
        cluster.run(TURNS_PER_INVOCATION, "group-commit".equals(mode) ? window : Math.min(window, 256));
    }
}
