package io.rookery.jmh.durable;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.rookery.node.Response;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Latency of one durable ask (to commit and reply) while the cluster serves a fixed offered rate
 * of other asks in the background (open loop: the background load does not slow down when the
 * cluster does). JMH's sample histogram gives p50 and p99.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1, time = 10)
@Measurement(iterations = 2, time = 15)
@Fork(value = 1)
@Threads(1)
public class AskLatencyBenchmark
{
    @Param({"1000"})
    public int offeredPerSecond;

    private DurableCluster cluster;
    private ScheduledExecutorService load;

    @Setup(Level.Trial)
    public void start()
    {
        cluster = new DurableCluster(true, 1024);
        load = Executors.newSingleThreadScheduledExecutor();
        final int perTick = Math.max(1, offeredPerSecond / 100);
        load.scheduleAtFixedRate(() -> cluster.fire(perTick), 0, 10, TimeUnit.MILLISECONDS);
    }

    @TearDown(Level.Trial)
    public void stop() throws InterruptedException
    {
        load.shutdownNow();
        load.awaitTermination(10, TimeUnit.SECONDS);
        cluster.close();
    }

    @Benchmark
    public Response ask()
    {
        final Response response = cluster.askOnce();
        if (!response.isOk())
        {
            throw new IllegalStateException("ask failed: " + response.payloadText());
        }
        return response;
    }
}
