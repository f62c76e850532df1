package io.rookery.jmh.peers;

import java.util.concurrent.TimeUnit;

import io.rookery.jmh.CallWindow;
import io.rookery.jmh.durable.DurableCluster;
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
 * Replicated increments per second, Rookery beside jgroups-raft, in the same run: three members
 * in this JVM, a majority-replicated and fsynced log, the same number of increments in flight.
 * <ul>
 *   <li>{@code rookery-durable}: durable counter agents on three nodes in the default configuration:
 *       256 partitions held by three Raft groups (one led by each node) of three replicas each,
 *       acknowledged once the turn's entry commits;</li>
 *   <li>{@code jgroups-raft}: one replicated counter ({@code CounterService}) on a three-member
 *       Raft group, acknowledged once the increment commits.</li>
 * </ul>
 * Each operation is one acknowledged increment; after every trial the increments are checked.
 * Rookery's increments go to 1024 counter agents, jgroups-raft's to its one counter. Warm-up is
 * long because three nodes in one JVM keep the JIT compiler busy for about a minute.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 15)
@Measurement(iterations = 3, time = 10)
@Fork(value = 1)
@Threads(1)
public class DurablePeersBenchmark
{
    static final int INCREMENTS_PER_INVOCATION = 2048;

    @Param({"rookery-durable", "jgroups-raft"})
    public String system;

    @Param({"256"})
    public int inFlight;

    private DurableCluster rookery;
    private JGroupsRaftCounter jgroups;
    private CallWindow window;

    @Setup(Level.Trial)
    public void start() throws Exception
    {
        if (system.startsWith("rookery-durable"))
        {
            rookery = new DurableCluster(true, Math.max(1024, inFlight));
        }
        else
        {
            jgroups = new JGroupsRaftCounter();
        }
        window = new CallWindow(inFlight);
    }

    @TearDown(Level.Trial)
    public void stop() throws Exception
    {
        try
        {
            window.drain();
            final long expected = window.completed();
            final long value = jgroups != null ? jgroups.value() : rookery.total();
            if (window.failures() > 0 || value != expected)
            {
                throw new IllegalStateException(system + ": " + window.failures() + " failures, counted " + value +
                    " after " + expected + " acknowledged increments");
            }
        }
        finally
        {
            if (jgroups != null)
            {
                jgroups.close();
            }
            if (rookery != null)
            {
                rookery.close();
            }
        }
    }

    @Benchmark
    @OperationsPerInvocation(INCREMENTS_PER_INVOCATION)
    public void increment()
    {
        if (rookery != null)
        {
            window.issue(INCREMENTS_PER_INVOCATION, rookery::increment);
        }
        else
        {
            window.issue(INCREMENTS_PER_INVOCATION, jgroups::increment);
        }
    }
}
