package io.rookery.jmh.durable;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.rookery.api.AgentId;
import io.rookery.api.Codecs;
import io.rookery.node.Response;
import io.rookery.node.RookeryNode;
import io.rookery.testing.TestCluster;

/**
 * Three real nodes in the benchmark's JVM (3 replicas per partition) and counter agents spread
 * over every partition; the benchmarks drive them through a {@link io.rookery.jmh.CallWindow}.
 */
public final class DurableCluster implements AutoCloseable
{
    static final byte[] INCREMENT = "{\"op\":\"increment\"}".getBytes(StandardCharsets.UTF_8);
    static final byte[] GET = "{\"op\":\"get\"}".getBytes(StandardCharsets.UTF_8);

    private final TestCluster cluster;
    private final AgentId[] counters;
    private final AtomicLong failures = new AtomicLong();
    private final AtomicInteger next = new AtomicInteger();

    public DurableCluster(final boolean groupCommit, final int counters)
    {
        this(groupCommit, counters, RookeryNode.Context.DEFAULT_PARTITIONS);
    }

    public DurableCluster(final boolean groupCommit, final int counters, final int partitions)
    {
        this.cluster = TestCluster.start(3, ctx ->
        {
            ctx.partitionCount(partitions).partitionLoops(2);
            if (!groupCommit)
            {
                ctx.maxBatchTurns(1);
            }
        });
        cluster.awaitAllPartitionsLed(Duration.ofSeconds(120));
        this.counters = new AgentId[counters];
        for (int i = 0; i < counters; i++)
        {
            this.counters[i] = AgentId.of("counter", "bench-" + i);
        }
    }

    public List<RookeryNode> nodes()
    {
        return cluster.running();
    }

    public long failures()
    {
        return failures.get();
    }

    /**
     * @return the sum of every counter's committed value, each read through its partition leader.
     */
    public long total()
    {
        final RookeryNode node = cluster.running().get(0);
        long total = 0;
        for (final AgentId counter : counters)
        {
            final Response response = node.ask(counter, GET).join();
            if (!response.isOk())
            {
                throw new IllegalStateException("reading " + counter + ": " + response.status());
            }
            total += Codecs.parseJson(response.payload()).get("value").asLong();
        }
        return total;
    }

    /**
     * Starts one increment of the next counter at the next node (clients reach any node).
     *
     * @return completes with whether the increment was acknowledged.
     */
    public CompletableFuture<Boolean> increment()
    {
        final List<RookeryNode> nodes = cluster.running();
        final int n = next.getAndIncrement();
        return nodes.get(n % nodes.size()).ask(counters[n % counters.length], INCREMENT)
            .handle((response, ex) -> response != null && response.isOk());
    }

    /**
     * @return one ask, for latency sampling.
     */
    Response askOnce()
    {
        final List<RookeryNode> nodes = cluster.running();
        final int n = next.getAndIncrement();
        return nodes.get(n % nodes.size()).ask(counters[n % counters.length], INCREMENT).join();
    }

    /**
     * Sends {@code count} increments without waiting for them (open-loop background load).
     */
    void fire(final int count)
    {
        final List<RookeryNode> nodes = cluster.running();
        for (int i = 0; i < count; i++)
        {
            final int n = next.getAndIncrement();
            nodes.get(n % nodes.size()).ask(counters[n % counters.length], INCREMENT).whenComplete((response, ex) ->
            {
                if (response == null || !response.isOk())
                {
                    failures.incrementAndGet();
                }
            });
        }
    }

    public void close()
    {
        cluster.close();
    }
}
