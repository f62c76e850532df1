package io.rookery.node;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import io.rookery.api.AgentId;
import io.rookery.api.Codecs;
import io.rookery.cli.LoadRun;
import io.rookery.client.RookeryClient;
import io.rookery.client.RookeryException;
import io.rookery.testing.TestCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The agent API as users reach it from outside: idempotent retries, tells, broadcast, and a full
 * mailbox refused with a clear error while the node keeps serving.
 */
@Timeout(240)
class AgentApiIT
{
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static TestCluster cluster;
    private static RookeryClient client;

    @BeforeAll
    static void start()
    {
        cluster = TestCluster.start(3, ctx -> ctx.maxParkedPerGroup(20).maxBatchTurns(1));
        cluster.awaitSettled(Duration.ofSeconds(60));
        client = RookeryClient.connect(cluster.running().stream().map(RookeryNode::httpEndpoint).toList(),
            Duration.ofSeconds(10));
    }

    @AfterAll
    static void stop()
    {
        if (cluster != null)
        {
            cluster.close();
        }
    }

    @Test
    void aRetriedRequestWithTheSameIdempotencyKeyGetsTheFirstReplyAndAppliesOnce()
    {
        final String first = client.ask("counter", "idem", "{\"op\":\"increment\",\"by\":5}", "key-1").join();
        final String retry = client.ask("counter", "idem", "{\"op\":\"increment\",\"by\":5}", "key-1").join();
        assertThat(retry).isEqualTo(first).contains("\"value\":5");
        final String other = client.ask("counter", "idem", "{\"op\":\"increment\",\"by\":5}", "key-2").join();
        assertThat(other).contains("\"value\":10");
        assertThat(client.state("counter", "idem").join().asLong()).isEqualTo(10);
    }

    @Test
    void theBenchCountsOnlyIncrementsThatWereAppliedAndMissesNone() throws Exception
    {
        final List<String> endpoints = cluster.running().stream().map(RookeryNode::httpEndpoint).toList();
        final int keys = 20;
        final int connections = 4;
        final LoadRun.Result outcome = new LoadRun(new LoadRun.Settings(endpoints, connections,
            Duration.ofSeconds(2), Duration.ZERO, keys, "counter", "bench-it-", "{\"op\":\"increment\"}", false,
            Duration.ofSeconds(10), true)).run();
        assertThat(outcome.errors()).isZero();
        assertThat(outcome.inDoubt()).isZero();
        assertThat(outcome.acknowledged()).isPositive();
        long applied = 0;
        for (int i = 0; i < keys; i++)
        {
            applied += client.state("counter", "bench-it-" + i).join().asLong();
        }
        // Every acknowledged increment is applied, once; answers after the counted time are in the
        // whole run's count.
        assertThat(applied).isEqualTo(outcome.acknowledgedAll());
        assertThat(outcome.acknowledgedAll()).isGreaterThanOrEqualTo(outcome.acknowledged());
    }

    @Test
    void tellsAreAcknowledgedOnceCommittedWithoutAReply() throws Exception
    {
        client.tell("counter", "told", "{\"op\":\"increment\",\"by\":3}").join();
        assertThat(client.state("counter", "told").join().asLong()).isEqualTo(3);
        final HttpResponse<String> raw = HTTP.send(HttpRequest.newBuilder(
                URI.create("http://" + cluster.node(0).httpEndpoint() + "/agents/counter/told?mode=tell"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"op\":\"increment\"}")).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(raw.statusCode()).isEqualTo(202);
        assertThat(raw.body()).isEmpty();
    }

    @Test
    void aBroadcastReachesEveryExistingAgentOfTheType()
    {
        for (int i = 0; i < 20; i++)
        {
            client.ask("account", "bc-" + i, "{\"op\":\"deposit\",\"amount\":10}", "bc-deposit-" + i).join();
        }
        final long delivered = client.broadcast("account", "{\"op\":\"deposit\",\"amount\":1}").join();
        assertThat(delivered).isGreaterThanOrEqualTo(20);
        cluster.await("every account got the broadcast deposit", Duration.ofSeconds(30), () ->
        {
            for (int i = 0; i < 20; i++)
            {
                if (client.state("account", "bc-" + i).join().get("balance").asLong() != 11)
                {
                    return false;
                }
            }
            return true;
        });
    }

    @Test
    void aBroadcastReachesEachAgentOnceAcrossALeaderChange()
    {
        // Many accounts in one partition: with batches of one turn their deliveries span as many
        // log entries, so the leadership moves while the broadcast is under way.
        final int partition = cluster.node(0).partitionOf(AgentId.of("account", "moving-0"));
        final List<String> keys = new ArrayList<>();
        for (int i = 0; keys.size() < 150; i++)
        {
            if (cluster.node(0).partitionOf(AgentId.of("account", "moving-" + i)) == partition)
            {
                keys.add("moving-" + i);
            }
        }
        for (final String key : keys)
        {
            client.ask("account", key, "{\"op\":\"deposit\",\"amount\":10}", "open-" + key).join();
        }
        final RookeryNode leader = cluster.servingLeader(partition);
        final long group = leader.servingGroup(partition);
        final long termBefore = leader.groups().status(group).term();
        final RookeryNode successor = cluster.running().stream().filter(n -> n != leader).findFirst().orElseThrow();

        final String deposit = "{\"op\":\"deposit\",\"amount\":1}";
        final CompletableFuture<Long> broadcast = client.broadcast("account", deposit, "moving-broadcast");
        leader.groups().reconfiguration().transferLeadership(group, successor.nodeId(), Duration.ofSeconds(10))
            .exceptionally(ex -> null).join();
        long delivered;
        try
        {
            delivered = broadcast.join();
        }
        catch (final CompletionException ex)
        {
            // A partition could not confirm every delivery: the same key reaches the rest, and only them.
            assertThat(ex).hasCauseInstanceOf(RookeryException.class);
            delivered = client.broadcast("account", deposit, "moving-broadcast").join();
        }
        assertThat(delivered).isGreaterThanOrEqualTo(keys.size());
        cluster.await("the group has a new leader", Duration.ofSeconds(30),
            () -> cluster.servingLeader(partition) != null);
        assertThat(cluster.servingLeader(partition).groups().status(group).term()).isGreaterThan(termBefore);
        for (final String key : keys)
        {
            assertThat(client.state("account", key).join().get("balance").asLong()).as(key).isEqualTo(11);
        }
        // Repeating a completed broadcast with its key changes nothing.
        client.broadcast("account", deposit, "moving-broadcast").join();
        assertThat(client.state("account", keys.get(0)).join().get("balance").asLong()).isEqualTo(11);
    }

    @Test
    void noLogEntryHoldsMoreTurnsThanTheBatchLimit()
    {
        // This cluster runs with batches of one turn. Asks that arrive together (one mailbox drain)
        // must still go out as one entry each, not pile into whichever batch is pending.
        final AgentId first = AgentId.of("counter", "limit-0");
        final RookeryNode leader = cluster.servingLeader(cluster.node(0).partitionOf(first));
        final List<CompletableFuture<Response>> calls = new ArrayList<>();
        for (int i = 0; i < 15; i++)
        {
            calls.add(leader.ask(AgentId.of("counter", "limit-" + i), "{\"op\":\"increment\"}"
                .getBytes(StandardCharsets.UTF_8)));
        }
        calls.forEach(call -> assertThat(call.join().status().name()).isIn("OK", "OVERLOADED"));
        for (final RookeryNode node : cluster.running())
        {
            node.metrics().batchTurns.collect().getDataPoints().forEach(point ->
                assertThat(point.getSum()).as("turns in %d entries of %s on %s", point.getCount(),
                    point.getLabels(), node.nodeId()).isLessThanOrEqualTo(point.getCount()));
        }
    }

    @Test
    void aFullMailboxIsRefusedClearlyAndNothingAcknowledgedIsLost()
    {
        final AgentId hot = AgentId.of("counter", "hot");
        final RookeryNode leader = cluster.servingLeader(cluster.node(0).partitionOf(hot));
        final List<CompletableFuture<Response>> calls = new ArrayList<>();
        for (int i = 0; i < 400; i++)
        {
            calls.add(leader.ask(hot, "{\"op\":\"increment\"}".getBytes(StandardCharsets.UTF_8)));
        }
        int ok = 0;
        int overloaded = 0;
        for (final CompletableFuture<Response> call : calls)
        {
            final Response response = call.join();
            if (response.isOk())
            {
                ok++;
            }
            else
            {
                assertThat(response.status().name()).isIn("OVERLOADED", "UNAVAILABLE", "TIMEOUT");
                if (response.status().name().equals("OVERLOADED"))
                {
                    overloaded++;
                    assertThat(response.payloadText()).contains("messages waiting");
                }
            }
        }
        assertThat(overloaded).as("requests refused because the group's backlog was full").isGreaterThan(0);
        final long value = Codecs.parseJson(leader.read(hot).join().payload()).get("state").asLong();
        assertThat(value).isGreaterThanOrEqualTo(ok).isLessThanOrEqualTo(400);
        assertThat(leader.ask(hot, "{\"op\":\"get\"}".getBytes(StandardCharsets.UTF_8)).join().isOk()).isTrue();
    }

    @Test
    void anUnknownTypeIsAClearErrorToTheCaller()
    {
        assertThatThrownBy(() -> client.ask("nope", "x", "{}").join())
            .hasCauseInstanceOf(RookeryException.class)
            .hasMessageContaining("unknown agent type 'nope'");
    }
}
