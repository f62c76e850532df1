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
import io.rookery.raft.Reconfiguration;
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
        cluster.awaitSettled(Duration.ofSeconds(90));
        final List<AgentId> counters = counters(64);
        final long[] acked = increment(counters, 2);

        final int victim = 4;
        final String victimId = TestCluster.nodeId(victim);
        cluster.killNode(victim);

        cluster.await("every group back to 3 replicas on live nodes, the dead node's group retired (per /cluster)",
            Duration.ofSeconds(180), () ->
            {
                final Map<String, List<String>> groups = replicasAsReportedByCluster(cluster.node(0));
                return groups.size() == 4 && !groups.containsKey("g-" + victimId) && groups.values().stream()
                    .allMatch(replicas -> replicas.size() == 3 && !replicas.contains(victimId));
            });
        cluster.awaitSettled(Duration.ofSeconds(60));

        assertCounters(counters, acked);
        assertThat(cluster.running().stream().mapToLong(RookeryNode::reconfigurations).sum())
            .as("reconfigurations committed").isGreaterThan(0);
    }

    @Test
    void aJoiningNodeReceivesReplicasAndADrainedNodeLeavesWithoutLoss() throws Exception
    {
        cluster = TestCluster.start(5, SelfHealingIT::fastPlacement);
        cluster.awaitSettled(Duration.ofSeconds(90));
        final List<AgentId> counters = counters(64);
        long[] acked = increment(counters, 2);

        final int joined = cluster.addNode();
        final RookeryNode newcomer = cluster.node(joined);
        cluster.await("the joined node holds replicas and every group has 3 members", Duration.ofSeconds(180),
            () -> newcomer.servedPartitions() > 0 && allGroupsHaveThreeMembers());
        assertThat(newcomer.groups().hosts(newcomer.ownGroup())).as("the newcomer created its own group").isTrue();

        final RookeryNode drained = cluster.node(1);
        drained.drain();
        cluster.await("node drained", Duration.ofSeconds(180),
            () -> Boolean.TRUE.equals(drained.drainStatus().get("drained")));
        assertThat(drained.groups().hostedGroups()).as("with five other nodes its replicas all moved: %s\n%s",
            drained.drainStatus(), cluster.dump()).isEmpty();
        assertThat(drained.servedPartitions()).isZero();
        cluster.stopNode(1);
        cluster.awaitSettled(Duration.ofSeconds(60));
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

    @Test
    void onThreeNodesADrainFinishesTheOthersServeAndADrainThatWouldCostAMajorityIsRefused() throws Exception
    {
        cluster = TestCluster.start(3, SelfHealingIT::fastPlacement);
        cluster.awaitSettled(Duration.ofSeconds(90));
        final List<AgentId> counters = counters(48);
        final long[] acked = increment(counters, 1);

        // As many nodes as replicas: nowhere to move n3's replicas, so the drain ends once n3 leads
        // and serves nothing, reporting the groups that will run one replica short.
        final RookeryNode third = cluster.node(2);
        final HttpResponse<String> started = postDrain(third, "");
        assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
        cluster.await("n3 drained", Duration.ofSeconds(60),
            () -> Boolean.TRUE.equals(third.drainStatus().get("drained")));
        assertThat(third.servedPartitions()).isZero();
        assertThat((List<?>)third.drainStatus().get("underReplicatedWhenStopped")).as("%s", third.drainStatus())
            .isNotEmpty();
        cluster.stopNode(2);
        final long[] more = increment(counters, 1);
        for (int i = 0; i < more.length; i++)
        {
            acked[i] += more[i];
        }
        assertCounters(counters, acked);

        // With n3 gone, n2 leaving would leave every group on one live replica of three.
        final RookeryNode second = cluster.node(1);
        final HttpResponse<String> refused = postDrain(second, "");
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(409);
        final JsonNode refusal = Codecs.parseJson(refused.body().getBytes(StandardCharsets.UTF_8));
        assertThat(refusal.get("error").asText()).contains("without a majority");
        assertThat(refusal.get("wouldLoseMajority")).isNotEmpty();
        assertThat(second.drainStatus().get("state")).as("a refused drain changes nothing").isEqualTo("ACTIVE");
        assertThat(postDrain(second, "?force=true").statusCode()).isEqualTo(202);
        assertThat(second.drainStatus().get("state")).isEqualTo("DRAINING");
    }

    private static HttpResponse<String> postDrain(final RookeryNode node, final String query) throws Exception
    {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://" + node.httpEndpoint() + "/admin/drain" + query))
            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.noBody()).build(),
            HttpResponse.BodyHandlers.ofString());
    }

    private static void fastPlacement(final RookeryNode.Context ctx)
    {
        ctx.replacementGrace(Duration.ofSeconds(3))
            .placementInterval(Duration.ofMillis(300))
            .maxConcurrentMoves(4);
    }

    private boolean allGroupsHaveThreeMembers()
    {
        final RookeryNode any = cluster.running().get(0);
        for (int p = 0; p < any.context().partitionCount(); p++)
        {
            if (cluster.servingLeader(p) == null)
            {
                return false;
            }
        }
        for (final RookeryNode node : cluster.running())
        {
            for (final long g : node.groups().hostedGroups())
            {
                if (node.groups().readyLeaderTerm(g) < 0)
                {
                    continue;
                }
                final Reconfiguration.Configuration conf =
                    node.groups().reconfiguration().configuration(g).orElse(null);
                if (conf == null || conf.transitional() || conf.peers().size() != 3)
                {
                    return false;
                }
                for (final String member : conf.peers().keySet())
                {
                    if (cluster.node(cluster.indexOf(member)) == null)
                    {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    /**
     * @return group name to its replicas, as /cluster reports them; a group without a leader gets a marker.
     */
    private static Map<String, List<String>> replicasAsReportedByCluster(final RookeryNode via)
    {
        try
        {
            final HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + via.httpEndpoint() + "/cluster"))
                .build();
            final HttpResponse<byte[]> response = HTTP.send(request, HttpResponse.BodyHandlers.ofByteArray());
            final JsonNode cluster = Codecs.parseJson(response.body());
            final Map<String, List<String>> replicas = new java.util.TreeMap<>();
            for (final JsonNode g : cluster.get("groups"))
            {
                if (g.path("retired").asBoolean())
                {
                    continue;
                }
                final List<String> ids = new ArrayList<>();
                g.get("replicas").forEach(r -> ids.add(r.get("nodeId").asText()));
                if (g.get("leader").isNull())
                {
                    ids.add("(no leader)");
                }
                replicas.put(g.get("name").asText(), ids);
            }
            return replicas;
        }
        catch (final Exception ex)
        {
            return Map.of("unreachable", List.of("unreachable"));
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
