package io.rookery.node;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import com.fasterxml.jackson.databind.JsonNode;
import io.rookery.api.AgentId;
import io.rookery.api.Codecs;
import io.rookery.raft.PartitionGroups;
import io.rookery.testing.TestCluster;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Placement heals itself with no coordinator: the leaders of the groups replace a dead node's
 * replicas, move replicas to a node that joins, and move them off a node being drained.
 */
@Timeout(400)
class SelfHealingIT
{
    private static final byte[] INCREMENT = "{\"op\":\"increment\"}".getBytes(StandardCharsets.UTF_8);
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @AutoClose
    private TestCluster cluster;

    @Test
    void aDeadNodesReplicasAreReplacedAndEveryPartitionIsBackToThreeReplicas() throws Exception
    {
        cluster = TestCluster.start(5, SelfHealingIT::fastPlacement);
        cluster.awaitAllPartitionsLed(Duration.ofSeconds(90));
        final List<AgentId> counters = counters(64);
        final long[] acked = increment(counters, 2);

        final int victim = 4;
        final String victimId = TestCluster.nodeId(victim);
        cluster.killNode(victim);

        cluster.await("every partition back to 3 replicas on live nodes (per /cluster)", Duration.ofSeconds(180),
            () -> replicasAsReportedByCluster(cluster.node(0)).values().stream()
                .allMatch(replicas -> replicas.size() == 3 && !replicas.contains(victimId)));
        cluster.awaitAllPartitionsLed(Duration.ofSeconds(60));

        assertCounters(counters, acked);
        assertThat(cluster.running().stream().mapToLong(RookeryNode::reconfigurations).sum())
            .as("reconfigurations committed").isGreaterThan(0);
    }

    @Test
    void aJoiningNodeReceivesReplicasAndADrainedNodeLeavesWithoutLoss() throws Exception
    {
        cluster = TestCluster.start(5, SelfHealingIT::fastPlacement);
        cluster.awaitAllPartitionsLed(Duration.ofSeconds(90));
        final List<AgentId> counters = counters(64);
        long[] acked = increment(counters, 2);

        final int joined = cluster.addNode();
        final RookeryNode newcomer = cluster.node(joined);
        cluster.await("the joined node holds replicas and every group has 3 members", Duration.ofSeconds(180),
            () -> !newcomer.groups().hostedPartitions().isEmpty() && allGroupsHaveThreeMembers());

        final RookeryNode drained = cluster.node(1);
        drained.drain();
        cluster.await("node drained", Duration.ofSeconds(180),
            () -> Boolean.TRUE.equals(drained.drainStatus().get("drained")));
        assertThat(drained.groups().hostedPartitions()).isEmpty();
        cluster.stopNode(1);
        cluster.awaitAllPartitionsLed(Duration.ofSeconds(60));
        cluster.await("every group has 3 members without the drained node", Duration.ofSeconds(120),
            this::allGroupsHaveThreeMembers);

        assertCounters(counters, acked);
        final long[] more = increment(counters, 1);
        for (int i = 0; i < more.length; i++)
        {
            acked[i] += more[i];
        }
        assertCounters(counters, acked);
    }

    private static void fastPlacement(final RookeryNode.Context ctx)
    {
        ctx.replacementGrace(Duration.ofSeconds(3))
            .placementInterval(Duration.ofMillis(300))
            .maxConcurrentMoves(4);
    }

    private boolean allGroupsHaveThreeMembers()
    {
        for (int p = 0; p < 16; p++)
        {
            final RookeryNode leader = cluster.servingLeader(p);
            if (leader == null)
            {
                return false;
            }
            final PartitionGroups.Configuration conf = leader.groups().configuration(p).orElse(null);
            if (conf == null || conf.transitional() || conf.peers().size() != 3)
            {
                return false;
            }
            for (final String member : conf.peers().keySet())
            {
                final RookeryNode node = cluster.node(cluster.indexOf(member));
                if (node == null)
                {
                    return false;
                }
            }
        }
        return true;
    }

    private static Map<Integer, List<String>> replicasAsReportedByCluster(final RookeryNode via)
    {
        try
        {
            final HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + via.httpEndpoint() + "/cluster"))
                .build();
            final HttpResponse<byte[]> response = HTTP.send(request, HttpResponse.BodyHandlers.ofByteArray());
            final JsonNode cluster = Codecs.parseJson(response.body());
            final Map<Integer, List<String>> replicas = new java.util.TreeMap<>();
            for (final JsonNode p : cluster.get("partitions"))
            {
                final List<String> ids = new ArrayList<>();
                p.get("replicas").forEach(r -> ids.add(r.get("nodeId").asText()));
                if (p.get("leader").isNull())
                {
                    ids.add("(no leader)");
                }
                replicas.put(p.get("partition").asInt(), ids);
            }
            return replicas;
        }
        catch (final Exception ex)
        {
            return Map.of(-1, List.of("unreachable"));
        }
    }

    private List<AgentId> counters(final int count)
    {
        final List<AgentId> counters = new ArrayList<>();
        for (int i = 0; i < count; i++)
        {
            counters.add(AgentId.of("counter", "heal-" + i));
        }
        return counters;
    }

    private long[] increment(final List<AgentId> counters, final int rounds)
    {
        final long[] acked = new long[counters.size()];
        for (int round = 0; round < rounds; round++)
        {
            final List<CompletableFuture<Response>> calls = new ArrayList<>();
            final List<RookeryNode> via = cluster.running();
            for (int i = 0; i < counters.size(); i++)
            {
                calls.add(via.get((i + round) % via.size()).ask(counters.get(i), INCREMENT));
            }
            for (int i = 0; i < counters.size(); i++)
            {
                final Response response = calls.get(i).join();
                assertThat(response.isOk()).as("increment of %s: %s", counters.get(i), response.payloadText()).isTrue();
                acked[i]++;
            }
        }
        return acked;
    }

    private void assertCounters(final List<AgentId> counters, final long[] acked)
    {
        final List<RookeryNode> via = cluster.running();
        for (int i = 0; i < counters.size(); i++)
        {
            final Response response = via.get(i % via.size()).read(counters.get(i)).join();
            assertThat(response.isOk()).as("read %s: %s", counters.get(i), response.payloadText()).isTrue();
            assertThat(Codecs.parseJson(response.payload()).get("state").asLong())
                .as("value of %s", counters.get(i)).isEqualTo(acked[i]);
        }
    }
}
