package io.rookery.node;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;

import io.rookery.api.AgentId;
import io.rookery.testing.TestCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three real nodes in one JVM: formation, routing across nodes, and bad input at the edge.
 */
@Timeout(240)
class ClusterIT
{
    private static TestCluster cluster;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start()
    {
        cluster = TestCluster.start(3, ctx -> { });
        cluster.awaitSettled(Duration.ofSeconds(60));
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
    void threeNodesFormAClusterOfThreeGroupsThatShareEveryPartition()
    {
        for (final RookeryNode node : cluster.running())
        {
            assertThat(node.membership().members()).as(cluster.dump()).hasSize(3);
            assertThat(node.groups().hostedGroups()).as("each node holds a replica of each of the three groups")
                .hasSize(3).contains(node.ownGroup());
        }
        final int partitions = cluster.node(0).context().partitionCount();
        assertThat(partitions).isEqualTo(256);
        for (int p = 0; p < partitions; p++)
        {
            assertThat(cluster.servingLeader(p)).as("leader of partition " + p + "\n" + cluster.dump()).isNotNull();
        }
        assertThat(cluster.leaderNodes()).as("each node leads its own group").hasSize(3);
        for (final RookeryNode node : cluster.running())
        {
            assertThat(TestCluster.partitionsServedBy(node)).as("an even spread of 256 over three groups")
                .hasSizeBetween(85, 86);
        }
    }

    @Test
    void agentMessageToAnotherNodesPartitionCrossesAeron() throws Exception
    {
        final RookeryNode any = cluster.node(0);
        AgentId source = null;
        AgentId target = null;
        for (int i = 0; target == null; i++)
        {
            final AgentId candidate = AgentId.of("counter", "aeron-" + i);
            final RookeryNode leader = cluster.servingLeader(any.partitionOf(candidate));
            if (source == null)
            {
                source = candidate;
            }
            else if (leader != cluster.servingLeader(any.partitionOf(source)))
            {
                target = candidate;
            }
        }
        final RookeryNode sourceLeader = cluster.servingLeader(any.partitionOf(source));
        final RookeryNode targetLeader = cluster.servingLeader(any.partitionOf(target));
        final double framesBefore = inboundRequests(targetLeader, sourceLeader.nodeId());
        final long receivedBefore = targetLeader.transportCounters().framesReceived();

        final Response forwarded = sourceLeader.ask(source,
            ("{\"op\":\"forward\",\"to\":\"" + target.key() + "\",\"by\":5}").getBytes(StandardCharsets.UTF_8)).get();
        assertThat(forwarded.isOk()).as(forwarded.payloadText()).isTrue();

        final AgentId finalTarget = target;
        cluster.await("forwarded increment applied", Duration.ofSeconds(30),
            () -> readState(any, finalTarget).contains("\"state\":5"));
        assertThat(inboundRequests(targetLeader, sourceLeader.nodeId()))
            .as("agent message frames from %s received by %s", sourceLeader.nodeId(), targetLeader.nodeId())
            .isGreaterThan(framesBefore);
        assertThat(targetLeader.transportCounters().framesReceived()).isGreaterThan(receivedBefore);
    }

    @Test
    void badInputOverHttpGetsA4xxAndTheNodeKeepsServing() throws Exception
    {
        final String endpoint = cluster.node(0).httpEndpoint();

        final HttpResponse<String> malformed = post(endpoint, "/agents/counter/bad", "{\"op\": ");
        assertThat(malformed.statusCode()).isEqualTo(400);
        assertThat(malformed.body()).contains("malformed JSON");

        final HttpResponse<String> unknownField = post(endpoint, "/agents/counter/bad", "{\"opp\":\"increment\"}");
        assertThat(unknownField.statusCode()).isEqualTo(400);
        assertThat(unknownField.body()).contains("opp");

        final HttpResponse<String> unknownType = post(endpoint, "/agents/no-such-type/x", "{}");
        assertThat(unknownType.statusCode()).isEqualTo(404);
        assertThat(unknownType.body()).contains("unknown agent type 'no-such-type'");

        final byte[] huge = new byte[1024 * 1024 + 1];
        Arrays.fill(huge, (byte)' ');
        final HttpResponse<String> oversized = HTTP.send(HttpRequest.newBuilder(
                URI.create("http://" + endpoint + "/agents/counter/big"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(huge)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(oversized.statusCode()).isEqualTo(413);
        assertThat(oversized.body()).contains("exceeds the limit");

        final HttpResponse<String> refused = post(endpoint, "/agents/counter/bad", "{\"op\":\"explode\"}");
        assertThat(refused.statusCode()).isEqualTo(422);
        assertThat(refused.body()).contains("unknown op 'explode'");

        final HttpResponse<String> badPath = post(endpoint, "/agents/counter/a/b", "{}");
        assertThat(badPath.statusCode()).isEqualTo(400);

        try (Socket socket = new Socket("127.0.0.1", Integer.parseInt(endpoint.substring(endpoint.indexOf(':') + 1))))
        {
            socket.setSoTimeout(5000);
            final OutputStream out = socket.getOutputStream();
            out.write("\u0001\u0002GARBAGE \u00ff\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            final InputStream in = socket.getInputStream();
            final byte[] answer = in.readNBytes(64);
            final String text = new String(answer, StandardCharsets.ISO_8859_1);
            assertThat(answer.length == 0 || text.startsWith("HTTP/1.1 4")).as("answer to garbage: " + text).isTrue();
        }

        final HttpResponse<String> good = post(endpoint, "/agents/counter/still-serving", "{\"op\":\"increment\"}");
        assertThat(good.statusCode()).as(good.body()).isEqualTo(200);
        assertThat(good.body()).contains("\"value\":1");

        final String metrics = HTTP.send(HttpRequest.newBuilder(URI.create("http://" + endpoint + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics).contains("rookery_rejected_total{reason=\"bad_request\"}");
        assertThat(metrics).contains("rookery_rejected_total{reason=\"too_large\"}");
        assertThat(metrics).contains("rookery_rejected_total{reason=\"unknown_type\"}");
    }

    @Test
    void stateReadsAreServedThroughAnyNode() throws Exception
    {
        final AgentId id = AgentId.of("counter", "read-anywhere");
        final byte[] increment = "{\"op\":\"increment\",\"by\":3}".getBytes(StandardCharsets.UTF_8);
        final Response first = cluster.node(1).ask(id, increment).get();
        assertThat(first.isOk()).as(first.payloadText()).isTrue();
        for (final RookeryNode node : cluster.running())
        {
            assertThat(readState(node, id)).contains("\"state\":3").contains("\"exists\":true");
        }
        assertThat(readState(cluster.node(2), AgentId.of("counter", "never-touched")))
            .contains("\"state\":0").contains("\"exists\":false");
    }

    @Test
    void metricsAreValidPrometheusTextWithEveryFamilyOperatorsNeed() throws Exception
    {
        // Some traffic so every family has samples, on the node that leads the agent's partition.
        final AgentId id = AgentId.of("counter", "metrics");
        final RookeryNode leader = cluster.servingLeader(cluster.node(0).partitionOf(id));
        leader.ask(id, "{\"op\":\"increment\"}".getBytes(StandardCharsets.UTF_8)).get();
        HTTP.send(HttpRequest.newBuilder(URI.create("http://" + leader.httpEndpoint() + "/health")).build(),
            HttpResponse.BodyHandlers.discarding());
        final String text = HTTP.send(HttpRequest.newBuilder(
                URI.create("http://" + leader.httpEndpoint() + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString()).body();
        final java.util.Map<String, Double> samples = new java.util.HashMap<>();
        final java.util.regex.Pattern sample = java.util.regex.Pattern.compile(
            "^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*\\})? (-?[0-9.eE+-]+|NaN|\\+Inf|-Inf)( [0-9]+)?$");
        for (final String line : text.split("\n"))
        {
            if (line.isEmpty() || line.startsWith("# HELP ") || line.startsWith("# TYPE "))
            {
                continue;
            }
            final java.util.regex.Matcher m = sample.matcher(line);
            assertThat(m.matches()).as("valid exposition line: " + line).isTrue();
            samples.merge(m.group(1), Double.parseDouble(m.group(3).replace("+Inf", "Infinity")), Double::sum);
        }
        assertThat(samples.keySet()).contains(
            "rookery_turns_total", "rookery_turn_duration_seconds_count", "rookery_commit_latency_seconds_count",
            "rookery_batch_turns_count", "rookery_leader_changes_total", "rookery_transport_frames_sent_total",
            "rookery_transport_peer_frames_sent_total", "rookery_transport_back_pressure_total",
            "rookery_gossip_members", "rookery_gossip_failures_total", "rookery_store_size_bytes",
            "rookery_partitions_led", "rookery_groups_led", "rookery_http_requests_total", "jvm_memory_used_bytes");
        assertThat(samples.get("rookery_gossip_members")).isEqualTo(3.0);
        assertThat(text).contains("rookery_commit_latency_seconds_count{group=\"g-");
        assertThat(text).contains("rookery_transport_peer_frames_sent_total{peer=\"");
    }

    private static double inboundRequests(final RookeryNode node, final String fromNode)
    {
        return node.metrics().inboundFrames.labelValues(fromNode, "agent_message").get();
    }

    private static String readState(final RookeryNode node, final AgentId id)
    {
        final Response response = node.read(id).join();
        return response.isOk() ? response.payloadText() : "";
    }

    private static HttpResponse<String> post(final String endpoint, final String path, final String body)
        throws Exception
    {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://" + endpoint + path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
