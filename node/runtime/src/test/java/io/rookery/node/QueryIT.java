package io.rookery.node;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import io.rookery.api.Codecs;
import io.rookery.client.RookeryClient;
import io.rookery.raft.GroupKeys;
import io.rookery.testing.TestCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Queries over agents on a real three-node cluster, through the HTTP API of nodes other than the
 * ones that serve the data: paged lists, filters, counts and sums, deleting state from outside and
 * from agent code, and paging that stays exact while agents are created, changed and deleted,
 * partitions move between groups and a node stops (its leaderships move).
 */
@Timeout(600)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class QueryIT
{
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static TestCluster cluster;
    private static RookeryClient client;

    @BeforeAll
    static void start()
    {
        cluster = TestCluster.start(3, ctx -> { });
        cluster.awaitSettled(Duration.ofSeconds(120));
        client = RookeryClient.connect(List.of(cluster.node(0).httpEndpoint()), Duration.ofSeconds(20));
    }

    @AfterAll
    static void stop()
    {
        if (client != null)
        {
            client.close();
        }
        cluster.close();
    }

    @Test
    @Order(1)
    void listsFiltersCountsAndSumsTheAgentsOfATypeAcrossTheCluster() throws Exception
    {
        final Map<String, Long> values = new HashMap<>();
        final List<CompletableFuture<String>> writes = new ArrayList<>();
        for (int i = 0; i < 300; i++)
        {
            final String key = String.format("q-%03d", i);
            final long value = i % 50 + 1;
            values.put(key, value);
            writes.add(client.ask("counter", key, "{\"op\":\"increment\",\"by\":" + value + "}"));
        }
        CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).join();

        final String via = cluster.node(1).httpEndpoint();
        final Map<String, Long> listed = listAll(via, "counter", "$ >= 1 and $ <= 50", 37);
        assertThat(listed).containsAllEntriesOf(values);
        assertThat(listed.keySet().stream().filter(k -> k.startsWith("q-"))).hasSize(300);

        final Map<String, Long> high = listAll(via, "counter", "$ > 45", 1000);
        final Set<String> expectedHigh = new HashSet<>();
        values.forEach((k, v) ->
        {
            if (v > 45)
            {
                expectedHigh.add(k);
            }
        });
        assertThat(high.keySet()).containsAll(expectedHigh);
        assertThat(high.values()).allMatch(v -> v > 45);

        final JsonNode sum = getJson(via, "/agents/counter?sum=" + encode("$") + "&where=" + encode("$ >= 26"));
        final long expectedCount = values.values().stream().filter(v -> v >= 26).count() + countOthers(via, 26);
        assertThat(sum.path("count").asLong()).isEqualTo(expectedCount);
        assertThat(sum.path("partitions").asInt()).isEqualTo(256);
        final JsonNode all = getJson(via, "/agents/counter?count=true");
        assertThat(all.path("count").asLong()).isGreaterThanOrEqualTo(300);
        final JsonNode ours = getJson(via, "/agents/counter?min=" + encode("$") + "&where=" + encode("$ <= 50"));
        assertThat(ours.path("min").asLong()).isEqualTo(1);
        assertThat(ours.path("max").asLong()).isEqualTo(50);

        // Deleted from outside, then from the agent's own code: gone from lists and counts.
        final long before = getJson(via, "/agents/counter?count=true").path("count").asLong();
        final HttpResponse<String> deleted = HTTP.send(HttpRequest.newBuilder(
            URI.create("http://" + via + "/agents/counter/q-000")).DELETE().build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(deleted.statusCode()).isEqualTo(204);
        assertThat(client.ask("counter", "q-001", "{\"op\":\"delete\"}").join()).contains("\"deleted\":true");
        assertThat(getJson(via, "/agents/counter?count=true").path("count").asLong()).isEqualTo(before - 2);
        assertThat(listAll(via, "counter", null, 500)).doesNotContainKeys("q-000", "q-001");
        final JsonNode gone = getJson(via, "/agents/counter/q-000");
        assertThat(gone.path("exists").asBoolean()).isFalse();
        assertThat(client.ask("counter", "q-001", "{\"op\":\"increment\"}").join())
            .as("a deleted agent starts again from its initial state").contains("\"value\":1");

        // Bad queries are refused with what is wrong.
        assertThat(get(via, "/agents/counter?where=" + encode("$ >")).statusCode()).isEqualTo(400);
        assertThat(get(via, "/agents/counter?where=" + encode("$ >")).body()).contains("expected a number");
        assertThat(get(via, "/agents/counter?limit=0").statusCode()).isEqualTo(400);
        assertThat(get(via, "/agents/counter?cursor=not-a-cursor!").statusCode()).isEqualTo(400);
        final String emptyKey = java.util.Base64.getUrlEncoder().withoutPadding()
            .encodeToString("3:".getBytes(StandardCharsets.UTF_8));
        assertThat(get(via, "/agents/counter?cursor=" + emptyKey).statusCode()).as("a cursor with no key")
            .isEqualTo(400);
        assertThat(get(via, "/agents/no-such-type").statusCode()).isEqualTo(404);

        final String metrics = get(via, "/metrics").body();
        assertThat(metrics).contains("rookery_agents_active{type=\"counter\"}")
            .contains("rookery_agents_waiting_messages{type=\"counter\"}");
    }

    @Test
    @Order(2)
    void pagingStaysExactWhileAgentsChangeAPartitionMovesAndANodeStops() throws Exception
    {
        final List<CompletableFuture<String>> writes = new ArrayList<>();
        for (int i = 0; i < 400; i++)
        {
            writes.add(client.ask("counter", "stable-" + i, "{\"op\":\"increment\"}"));
            writes.add(client.ask("counter", "doomed-" + i, "{\"op\":\"increment\"}"));
        }
        CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).join();

        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicInteger churned = new AtomicInteger();
        final Thread churn = new Thread(() ->
        {
            for (int i = 0; !stop.get(); i++)
            {
                final int n = i;
                CompletableFuture.allOf(
                    client.ask("counter", "stable-" + (n % 400), "{\"op\":\"increment\"}"),
                    client.ask("counter", "new-" + n, "{\"op\":\"increment\"}"),
                    n < 400 ? client.ask("counter", "doomed-" + n, "{\"op\":\"delete\"}") :
                        CompletableFuture.completedFuture("")).join();
                churned.incrementAndGet();
            }
        }, "query-it-churn");
        churn.start();

        final String via = cluster.node(2).httpEndpoint();
        final Map<String, Integer> seen = new HashMap<>();
        String cursor = null;
        int pages = 0;
        boolean moved = false;
        try
        {
            do
            {
                final JsonNode page = getJson(via, "/agents/counter?limit=25" +
                    (cursor == null ? "" : "&cursor=" + cursor));
                for (final JsonNode agent : page.path("agents"))
                {
                    seen.merge(agent.path("key").asText(), 1, Integer::sum);
                }
                cursor = page.hasNonNull("next") ? page.get("next").asText() : null;
                if (++pages == 4 && !moved)
                {
                    moved = true;
                    movePartitionsAheadAndBehind(page);
                }
                if (pages == 12)
                {
                    // The leaders of its group and of what it served change while the walk goes on.
                    cluster.stopNode(1);
                }
            }
            while (cursor != null);
        }
        finally
        {
            stop.set(true);
            churn.join();
        }
        assertThat(churned.get()).as("agents changed while the pages were read").isPositive();
        assertThat(moved).isTrue();
        assertThat(seen.entrySet()).as("no agent twice").allMatch(e -> e.getValue() == 1);
        for (int i = 0; i < 400; i++)
        {
            assertThat(seen).as("stable-" + i + ", which had state throughout").containsKey("stable-" + i);
        }
    }

    /** Moves a partition the walk has not reached yet and one it has passed to another group. */
    private static void movePartitionsAheadAndBehind(final JsonNode page) throws Exception
    {
        final String lastKey = page.path("agents").get(page.path("agents").size() - 1).path("key").asText();
        final int current = cluster.node(0).partitionOf(new io.rookery.api.AgentId("counter", lastKey));
        for (final int partition : new int[] {Math.min(255, current + 40), Math.max(0, current - 1)})
        {
            final RookeryNode leader = cluster.servingLeader(partition);
            final RookeryNode other = cluster.running().stream().filter(n -> n != leader).findFirst().orElseThrow();
            final String refusal = leader.movePartition(partition, GroupKeys.of(other.nodeId())).get();
            assertThat(refusal).as("move of partition " + partition).isNull();
        }
    }

    private static long countOthers(final String via, final long atLeast) throws Exception
    {
        // Counters other tests of this class made that also match.
        final Map<String, Long> all = listAll(via, "counter", "$ >= " + atLeast, 1000);
        return all.keySet().stream().filter(k -> !k.startsWith("q-")).count();
    }

    private static Map<String, Long> listAll(final String via, final String type, final String where, final int limit)
        throws Exception
    {
        final Map<String, Long> agents = new HashMap<>();
        String cursor = null;
        do
        {
            final JsonNode page = getJson(via, "/agents/" + type + "?limit=" + limit +
                (where == null ? "" : "&where=" + encode(where)) + (cursor == null ? "" : "&cursor=" + cursor));
            assertThat(page.path("agents").size()).isLessThanOrEqualTo(limit);
            for (final JsonNode agent : page.path("agents"))
            {
                assertThat(agents.put(agent.path("key").asText(), agent.path("state").asLong()))
                    .as("listed twice: " + agent).isNull();
            }
            cursor = page.hasNonNull("next") ? page.get("next").asText() : null;
        }
        while (cursor != null);
        return agents;
    }

    private static JsonNode getJson(final String via, final String path) throws IOException, InterruptedException
    {
        final HttpResponse<String> response = get(via, path);
        assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(200);
        return Codecs.parseJson(response.body().getBytes(StandardCharsets.UTF_8));
    }

    private static HttpResponse<String> get(final String via, final String path)
        throws IOException, InterruptedException
    {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://" + via + path)).timeout(Duration.ofSeconds(60))
            .build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String encode(final String text)
    {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }
}
