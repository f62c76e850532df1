package io.rookery.node;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLongArray;

import com.fasterxml.jackson.databind.JsonNode;
import io.rookery.api.AgentId;
import io.rookery.api.Codecs;
import io.rookery.testing.TestCluster;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A node that leads partitions dies abruptly in the middle of a workload: the two others take
 * over, no acknowledged increment is lost, nothing is applied twice, and the counters keep counting.
 */
@Timeout(300)
class FailoverIT
{
    private static final byte[] INCREMENT = "{\"op\":\"increment\",\"by\":1}".getBytes(StandardCharsets.UTF_8);
    private static final int COUNTERS = 100;

    @AutoClose
    private TestCluster cluster;

    @Test
    void acknowledgedIncrementsSurviveTheCrashOfALeader()
    {
        cluster = TestCluster.start(3, ctx -> { });
        cluster.awaitSettled(Duration.ofSeconds(60));

        final List<AgentId> counters = countersInEveryPartition(cluster.node(0));
        final AtomicLongArray attempted = new AtomicLongArray(COUNTERS);
        final AtomicLongArray acked = new AtomicLongArray(COUNTERS);

        increment(counters, 5, cluster.running(), attempted, acked);
        final long[] ackedBeforeCrash = snapshot(acked);
        assertThat(sum(ackedBeforeCrash)).as("increments acknowledged before the crash").isEqualTo(5L * COUNTERS);

        final RookeryNode victim = cluster.busiestLeader();
        final int victimIndex = cluster.indexOf(victim.nodeId());
        final Set<Integer> victimPartitions = TestCluster.partitionsServedBy(victim);
        assertThat(victimPartitions).isNotEmpty();

        // Keep writing while the leader dies: some of these fail or time out, none may be lost.
        final List<RookeryNode> survivors = cluster.running().stream().filter(n -> n != victim).toList();
        final CompletableFuture<Void> during = CompletableFuture.runAsync(
            () -> increment(counters, 3, survivors, attempted, acked));
        cluster.killNode(victimIndex);
        during.join();

        cluster.awaitSettled(Duration.ofSeconds(60));
        for (final int p : victimPartitions)
        {
            assertThat(cluster.servingLeader(p).nodeId()).isNotEqualTo(victim.nodeId());
        }

        increment(counters, 3, survivors, attempted, acked);

        for (int i = 0; i < COUNTERS; i++)
        {
            final AgentId id = counters.get(i);
            final RookeryNode reader = survivors.get(i % survivors.size());
            final long value = readValue(reader, id);
            assertThat(value).as("%s: acknowledged %d, attempted %d", id, acked.get(i), attempted.get(i))
                .isBetween(acked.get(i), attempted.get(i));
            assertThat(acked.get(i)).as("%s keeps counting after the crash", id).isGreaterThan(ackedBeforeCrash[i]);
        }
    }

    /**
     * In the slow tier (-Pslow) until the Ratis stall in docs/architecture.md "Known issues" is
     * found: about one run in ten on a 2-core machine, the killed leader's group never gets a
     * leader that commits, and this test (rightly) fails.
     */
    @Test
    @org.junit.jupiter.api.Tag("slow")
    void keyedRequestsThroughTheSurvivorsAllSucceedOnceAcrossTheCrashOfALeader()
    {
        cluster = TestCluster.start(3, ctx -> { });
        cluster.awaitSettled(Duration.ofSeconds(60));
        final List<AgentId> counters = countersInEveryPartition(cluster.node(0));
        final RookeryNode victim = cluster.busiestLeader();
        final List<String> survivors = cluster.running().stream().filter(n -> n != victim)
            .map(RookeryNode::httpEndpoint).toList();
        final io.rookery.client.RookeryClient client =
            io.rookery.client.RookeryClient.connect(survivors, Duration.ofSeconds(20));

        // Every increment carries its own idempotency key: the client retries it on 503, 504 and
        // broken connections, and a forwarding node answers at once for a peer that died.
        final java.util.concurrent.atomic.AtomicLong failures = new java.util.concurrent.atomic.AtomicLong();
        final AtomicLongArray acked = new AtomicLongArray(COUNTERS);
        final CompletableFuture<Void> load = CompletableFuture.runAsync(() ->
        {
            final Semaphore inFlight = new Semaphore(32);
            final List<CompletableFuture<Void>> calls = new ArrayList<>();
            for (int round = 0; round < 6; round++)
            {
                for (int i = 0; i < COUNTERS; i++)
                {
                    final int counter = i;
                    inFlight.acquireUninterruptibly();
                    calls.add(client.ask("counter", counters.get(i).key(), "{\"op\":\"increment\",\"by\":1}",
                        "failover-" + round + "-" + i).handle((reply, ex) ->
                        {
                            inFlight.release();
                            if (ex == null)
                            {
                                acked.incrementAndGet(counter);
                            }
                            else
                            {
                                failures.incrementAndGet();
                            }
                            return null;
                        }));
                }
            }
            CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).join();
        });
        // The crash comes once the load has run a while, so it meets requests in every stage.
        final long loadStartNs = System.nanoTime();
        cluster.await("the load ran 5 s, with increments acknowledged, before the crash", Duration.ofSeconds(30),
            () -> sum(snapshot(acked)) > COUNTERS && System.nanoTime() - loadStartNs > 5_000_000_000L);
        cluster.killNode(cluster.indexOf(victim.nodeId()));
        assertThat(load).as("every keyed request answered (each has a 20 s deadline)")
            .succeedsWithin(Duration.ofSeconds(120));

        assertThat(failures.get()).as("keyed requests that failed for good").isZero();
        for (int i = 0; i < COUNTERS; i++)
        {
            assertThat(client.state("counter", counters.get(i).key()).join().asLong())
                .as("%s: every increment applied exactly once", counters.get(i)).isEqualTo(6);
        }
    }

    @Test
    void aDurableTimerFiresAfterItsPartitionsLeaderIsKilled()
    {
        cluster = TestCluster.start(3, ctx -> { });
        cluster.awaitSettled(Duration.ofSeconds(60));
        final AgentId id = AgentId.of("counter", "timer-target");
        final RookeryNode leader = cluster.servingLeader(cluster.node(0).partitionOf(id));

        final Response scheduled = leader.ask(id,
            "{\"op\":\"schedule\",\"by\":7,\"delayMs\":4000}".getBytes(StandardCharsets.UTF_8)).join();
        assertThat(scheduled.isOk()).as(scheduled.payloadText()).isTrue();
        cluster.killNode(cluster.indexOf(leader.nodeId()));

        final List<RookeryNode> survivors = cluster.running();
        cluster.await("the timer fired on the new leader", Duration.ofSeconds(60),
            () -> readValueOrMinusOne(survivors.get(0), id) == 7);
        assertThat(cluster.servingLeader(survivors.get(0).partitionOf(id)).nodeId()).isNotEqualTo(leader.nodeId());

        final Response next = survivors.get(1).ask(id, INCREMENT).join();
        assertThat(next.isOk()).isTrue();
        assertThat(readValue(survivors.get(1), id)).as("the timer fired once").isEqualTo(8);
    }

    private static long readValueOrMinusOne(final RookeryNode node, final AgentId id)
    {
        final Response response = node.read(id).join();
        return response.isOk() ? Codecs.parseJson(response.payload()).get("state").asLong() : -1;
    }

    private static void increment(
        final List<AgentId> counters,
        final int rounds,
        final List<RookeryNode> via,
        final AtomicLongArray attempted,
        final AtomicLongArray acked)
    {
        final Semaphore inFlight = new Semaphore(64);
        final List<CompletableFuture<Void>> calls = new ArrayList<>();
        for (int round = 0; round < rounds; round++)
        {
            for (int i = 0; i < counters.size(); i++)
            {
                final int counter = i;
                inFlight.acquireUninterruptibly();
                attempted.incrementAndGet(counter);
                calls.add(via.get((i + round) % via.size()).ask(counters.get(i), INCREMENT).handle((response, ex) ->
                {
                    inFlight.release();
                    if (response != null && response.isOk())
                    {
                        acked.incrementAndGet(counter);
                    }
                    return null;
                }));
            }
        }
        CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).join();
    }

    private static long readValue(final RookeryNode node, final AgentId id)
    {
        for (int attempt = 0; attempt < 50; attempt++)
        {
            final Response response = node.read(id).join();
            if (response.isOk())
            {
                final JsonNode json = Codecs.parseJson(response.payload());
                return json.get("state").asLong();
            }
        }
        throw new AssertionError("could not read " + id);
    }

    private static List<AgentId> countersInEveryPartition(final RookeryNode node)
    {
        final List<AgentId> counters = new ArrayList<>();
        final Set<Integer> partitions = new HashSet<>();
        for (int i = 0; counters.size() < COUNTERS; i++)
        {
            final AgentId id = AgentId.of("counter", "failover-" + i);
            counters.add(id);
            partitions.add(node.partitionOf(id));
        }
        assertThat(partitions).as("counters spread over many partitions, hence every group").hasSizeGreaterThan(60);
        return counters;
    }

    private static long[] snapshot(final AtomicLongArray values)
    {
        final long[] copy = new long[values.length()];
        for (int i = 0; i < copy.length; i++)
        {
            copy[i] = values.get(i);
        }
        return copy;
    }

    private static long sum(final long[] values)
    {
        long sum = 0;
        for (final long v : values)
        {
            sum += v;
        }
        return sum;
    }
}
