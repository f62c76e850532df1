package io.rookery.node;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

import io.rookery.api.AgentId;
import io.rookery.api.Codecs;
import io.rookery.raft.GroupKeys;
import io.rookery.raft.Ownership;
import io.rookery.testing.TestCluster;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Partitions handed from one Raft group to another while agents keep working: counters keep
 * counting, and bank transfers (a debit here, a durable message to the other account's partition,
 * a credit there, a confirmation back) keep money conserved and apply each acknowledged transfer
 * once, through moves of the partitions on both ends; and a handoff whose source leader dies in the
 * middle resumes from the logs, with nothing of the partition lost.
 */
@Timeout(400)
class PartitionMoveIT
{
    private static final byte[] INCREMENT = "{\"op\":\"increment\",\"by\":1}".getBytes(StandardCharsets.UTF_8);

    @AutoClose
    private TestCluster cluster;

    @Test
    void countersAndTransfersAreExactlyOnceWhilePartitionsMoveBetweenGroups() throws Exception
    {
        cluster = TestCluster.start(3, ctx -> ctx.balancePartitions(false).requestTimeout(Duration.ofSeconds(5)));
        cluster.awaitSettled(Duration.ofSeconds(60));
        final int counters = 40;
        final int accounts = 20;
        final List<AgentId> counterIds = new ArrayList<>();
        for (int i = 0; i < counters; i++)
        {
            counterIds.add(AgentId.of("counter", "moving-" + i));
        }
        final AtomicLongArray attempted = new AtomicLongArray(counters);
        final AtomicLongArray acked = new AtomicLongArray(counters);
        final long[] balances = new long[accounts];
        for (int i = 0; i < accounts; i++)
        {
            assertThat(ask(cluster.node(0), AgentId.of("account", "mv-" + i),
                "{\"op\":\"deposit\",\"amount\":1000}", "deposit-" + i)).isTrue();
            balances[i] = 1000;
        }

        final AtomicBoolean stop = new AtomicBoolean();
        final ExecutorService load = Executors.newFixedThreadPool(3);
        final CompletableFuture<Void> countersLoad = CompletableFuture.runAsync(() ->
        {
            final Semaphore inFlight = new Semaphore(32);
            for (int round = 0; !stop.get(); round++)
            {
                for (int i = 0; i < counters; i++)
                {
                    final int c = i;
                    inFlight.acquireUninterruptibly();
                    attempted.incrementAndGet(c);
                    cluster.running().get((c + round) % cluster.running().size()).ask(counterIds.get(c), INCREMENT)
                        .whenComplete((response, ex) ->
                        {
                            if (response != null && response.isOk())
                            {
                                acked.incrementAndGet(c);
                            }
                            inFlight.release();
                        });
                }
            }
            inFlight.acquireUninterruptibly(32);
        }, load);
        final AtomicInteger transfers = new AtomicInteger();
        final List<long[]> applied = new ArrayList<>();
        final CompletableFuture<Void> bankLoad = CompletableFuture.runAsync(() ->
        {
            final Random random = new Random(7);
            for (int t = 0; !stop.get(); t++)
            {
                final int from = random.nextInt(accounts);
                final int to = (from + 1 + random.nextInt(accounts - 1)) % accounts;
                final long amount = 1 + random.nextInt(20);
                final String message = "{\"op\":\"transfer\",\"to\":\"mv-" + to + "\",\"amount\":" + amount +
                    ",\"transferId\":\"mt" + t + "\"}";
                if (ask(cluster.running().get(t % cluster.running().size()), AgentId.of("account", "mv-" + from),
                    message, "mt" + t))
                {
                    synchronized (applied)
                    {
                        applied.add(new long[] {from, to, amount});
                    }
                    transfers.incrementAndGet();
                }
            }
        }, load);

        // Move the partitions of some counters and accounts around the three groups, one at a time.
        final List<Integer> partitions = new ArrayList<>();
        for (int i = 0; i < 6; i++)
        {
            partitions.add(cluster.node(0).partitionOf(counterIds.get(i)));
            partitions.add(cluster.node(0).partitionOf(AgentId.of("account", "mv-" + i)));
        }
        final List<Long> groups = List.of(GroupKeys.of("n1"), GroupKeys.of("n2"), GroupKeys.of("n3"));
        int moves = 0;
        for (int round = 0; round < 2; round++)
        {
            for (final int partition : partitions)
            {
                final RookeryNode leader = awaitServed(partition);
                final long from = leader.servingGroup(partition);
                final long to = groups.get((groups.indexOf(from) + 1 + round) % groups.size());
                final String refusal = leader.movePartition(partition, to).join();
                if (refusal != null)
                {
                    continue;
                }
                moves++;
                cluster.await("partition " + partition + " served by " + GroupKeys.hex(to), Duration.ofSeconds(30),
                    () -> cluster.servingLeader(partition) != null &&
                        cluster.servingLeader(partition).servingGroup(partition) == to);
            }
        }
        stop.set(true);
        countersLoad.join();
        bankLoad.join();
        load.shutdown();
        assertThat(moves).as("partitions moved under load").isGreaterThanOrEqualTo(20);
        assertThat(transfers.get()).as("transfers acknowledged during the moves").isGreaterThan(20);

        for (int i = 0; i < counters; i++)
        {
            final long value = readState(counterIds.get(i)).get("state").asLong();
            assertThat(value).as("%s: acknowledged %d, attempted %d", counterIds.get(i), acked.get(i),
                attempted.get(i)).isBetween(acked.get(i), attempted.get(i));
        }
        for (final long[] transfer : applied)
        {
            balances[(int)transfer[0]] -= transfer[2];
            balances[(int)transfer[1]] += transfer[2];
        }
        final long deadlineNs = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true)
        {
            final List<String> wrong = new ArrayList<>();
            long total = 0;
            for (int i = 0; i < accounts; i++)
            {
                final AgentId account = AgentId.of("account", "mv-" + i);
                final var state = readState(account).get("state");
                if (state.get("outgoing").size() > 0 || state.get("balance").asLong() != balances[i])
                {
                    wrong.add(account.key() + " (partition " + cluster.node(0).partitionOf(account) + "): " + state +
                        " expected balance " + balances[i]);
                }
                total += state.get("balance").asLong();
            }
            if (wrong.isEmpty() && total == 1000L * accounts)
            {
                break;
            }
            if (System.nanoTime() - deadlineNs > 0)
            {
                final StringBuilder described = new StringBuilder();
                for (final RookeryNode node : cluster.running())
                {
                    for (int i = 0; i < accounts; i++)
                    {
                        described.append(node.describePartition(node.partitionOf(AgentId.of("account", "mv-" + i))))
                            .append('\n');
                    }
                }
                throw new AssertionError("accounts not as the acknowledged transfers say (total " + total + "): " +
                    wrong + "\n" + described + cluster.dump());
            }
            Thread.sleep(200);
        }
        for (final RookeryNode node : cluster.running())
        {
            for (final long g : node.groups().hostedGroups())
            {
                assertThat(node.groups().stats(g).droppedWrites()).as("writes to unowned partitions").isZero();
            }
        }
    }

    @Test
    void aHandoffWhoseSourceLeaderDiesResumesAndLosesNothing()
    {
        // Small chunks, so that the range of one partition takes many entries and frames to hand over.
        cluster = TestCluster.start(3, ctx -> ctx.balancePartitions(false).handoffChunkBytes(2048));
        cluster.awaitSettled(Duration.ofSeconds(60));
        final int partition = 7;
        final List<AgentId> ids = new ArrayList<>();
        for (int i = 0; ids.size() < 600; i++)
        {
            final AgentId id = AgentId.of("counter", "big-" + i);
            if (cluster.node(0).partitionOf(id) == partition)
            {
                ids.add(id);
            }
        }
        final List<CompletableFuture<Response>> calls = new ArrayList<>();
        for (final AgentId id : ids)
        {
            calls.add(cluster.node(0).ask(id, INCREMENT));
        }
        calls.forEach(call -> assertThat(call.join().isOk()).isTrue());

        final RookeryNode source = awaitServed(partition);
        final long from = source.servingGroup(partition);
        final RookeryNode targetHome = cluster.running().stream().filter(n -> n != source).findFirst().orElseThrow();
        final long to = targetHome.ownGroup();
        assertThat(source.movePartition(partition, to).join()).isNull();
        cluster.await("the partition sealed in its source group", Duration.ofSeconds(30), () ->
        {
            final Ownership ownership = source.groups().ownership(from, partition);
            return ownership != null && ownership.state() != Ownership.State.OWNED;
        });
        final int sourceIndex = cluster.indexOf(source.nodeId());
        cluster.killNode(sourceIndex);

        cluster.await("the partition served by the target group", Duration.ofSeconds(90),
            () -> cluster.servingLeader(partition) != null &&
                cluster.servingLeader(partition).servingGroup(partition) == to);
        cluster.restartNode(sourceIndex);
        cluster.await("the source group released its sealed copy", Duration.ofSeconds(90), () ->
            cluster.running().stream().filter(n -> n.groups().readyLeaderTerm(from) >= 0).anyMatch(n ->
            {
                final Ownership ownership = n.groups().ownership(from, partition);
                return ownership != null && ownership.state() == Ownership.State.RELEASED;
            }));
        for (final AgentId id : ids)
        {
            assertThat(readState(id).get("state").asLong()).as("%s after the handoff", id).isEqualTo(1);
        }
        final Response next = cluster.running().get(0).ask(ids.get(0), INCREMENT).join();
        assertThat(next.isOk()).as(next.payloadText()).isTrue();
        assertThat(readState(ids.get(0)).get("state").asLong()).isEqualTo(2);
    }

    private RookeryNode awaitServed(final int partition)
    {
        cluster.await("partition " + partition + " served", Duration.ofSeconds(60),
            () -> cluster.servingLeader(partition) != null);
        return cluster.servingLeader(partition);
    }

    private com.fasterxml.jackson.databind.JsonNode readState(final AgentId id)
    {
        for (int attempt = 0; attempt < 100; attempt++)
        {
            final RookeryNode via = cluster.running().get(attempt % cluster.running().size());
            final Response response;
            try
            {
                response = via.read(id).get(30, java.util.concurrent.TimeUnit.SECONDS);
            }
            catch (final Exception ex)
            {
                final int partition = via.partitionOf(id);
                throw new AssertionError("read of " + id + " (partition " + partition + ") through " + via.nodeId() +
                    " did not complete: " + ex + "; believed leader " + via.believedLeader(partition) + ", owner " +
                    via.believedOwner(partition).map(GroupKeys::hex) + "\n" + cluster.dump(), ex);
            }
            if (response.isOk())
            {
                return Codecs.parseJson(response.payload());
            }
        }
        throw new AssertionError("could not read " + id);
    }

    /**
     * Asks until the outcome is definitive, retrying with the same idempotency key.
     *
     * @return true when applied (200), false when refused by the agent (422).
     */
    private boolean ask(final RookeryNode via, final AgentId id, final String message, final String key)
    {
        final List<String> answers = new ArrayList<>();
        for (int attempt = 0; attempt < 50; attempt++)
        {
            final RookeryNode node = attempt == 0 ? via : cluster.running().get(attempt % cluster.running().size());
            final Response response = node.askIdempotent(id, message.getBytes(StandardCharsets.UTF_8), key).join();
            if (response.isOk())
            {
                return true;
            }
            if (response.status() == io.rookery.transport.codecs.Status.AGENT_ERROR)
            {
                return false;
            }
            answers.add(node.nodeId() + ": " + response.status() + " " + response.payloadText());
        }
        throw new AssertionError("no definitive answer to " + message + " for " + id + " (partition " +
            via.partitionOf(id) + "): " + answers.subList(0, 6) + "\n" + cluster.dump());
    }
}
