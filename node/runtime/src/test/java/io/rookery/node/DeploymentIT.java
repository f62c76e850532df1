package io.rookery.node;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

import com.fasterxml.jackson.databind.JsonNode;
import io.rookery.api.AgentId;
import io.rookery.api.Codecs;
import io.rookery.deploy.BundleDescriptor;
import io.rookery.deploy.BundleJars;
import io.rookery.deploy.BundleStore;
import io.rookery.testing.TestCluster;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Versioned bundles on a running three-node cluster, through the admin HTTP API: deployed through
 * one node and run by all, refused when tampered, incomplete or clashing while the running version
 * keeps serving, upgraded under load with the agents' state migrated, rolled back, pruned once
 * drained, and still served by a node that restarts.
 */
@Timeout(400)
class DeploymentIT
{
    private static final Path V1 = Path.of("target/bundles/rookery-example-greeter-v1.jar");
    private static final Path V2 = Path.of("target/bundles/rookery-example-greeter-v2.jar");
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @AutoClose
    private TestCluster cluster;

    @Test
    void versionsAreDeployedRefusedUpgradedUnderLoadRolledBackAndPruned() throws Exception
    {
        cluster = TestCluster.start(3, ctx -> ctx.deploymentSyncInterval(Duration.ofMillis(250))
            .bundleRetention(Duration.ofSeconds(4)));
        cluster.awaitSettled(Duration.ofSeconds(60));
        final byte[] v1 = Files.readAllBytes(V1);
        final byte[] v2 = Files.readAllBytes(V2);
        final String v1Sha = BundleStore.sha256(v1);
        final String v2Sha = BundleStore.sha256(v2);

        // Deployed through n1, run by every node.
        assertThat(upload(0, v1, v1Sha).statusCode()).isEqualTo(201);
        awaitEveryNodeRuns(v1Sha);
        for (int i = 0; i < 3; i++)
        {
            assertThat(greet(i, "alice").path("version").asInt()).isEqualTo(1);
        }
        assertThat(greet(1, "alice").path("greetings").asLong()).isEqualTo(4);

        // Refused, each with its reason, and v1 serves on.
        final long generation = record().path("generation").asLong();
        assertRefused(upload(1, v2, v1Sha), 400, "HASH_MISMATCH");
        final Map<String, byte[]> missing = new LinkedHashMap<>(BundleJars.entries(v2));
        missing.remove("io/rookery/examples/greeter/GreeterAgent$State.class");
        final byte[] incomplete = BundleJars.jar(missing);
        assertRefused(upload(1, incomplete, BundleStore.sha256(incomplete)), 400, "DOES_NOT_LOAD");
        final byte[] copycat = withDescriptor(v2, "copycat", "1.0.0", "greeter");
        assertRefused(upload(2, copycat, BundleStore.sha256(copycat)), 409, "TYPE_CLASH");
        final byte[] builtIn = withDescriptor(v2, "counters", "1.0.0", "counter");
        assertRefused(upload(2, builtIn, BundleStore.sha256(builtIn)), 409, "TYPE_CLASH");
        assertThat(record().path("generation").asLong()).isEqualTo(generation);
        assertThat(greet(2, "alice").path("version").asInt()).isEqualTo(1);
        assertThat(metrics(1)).contains("rookery_bundle_deploys_total{outcome=\"hash_mismatch\"} 1.0")
            .contains("rookery_bundle_deploys_total{outcome=\"does_not_load\"} 1.0");

        // v2 under load: nothing fails, and from the moment it runs everywhere only v2 answers.
        final AtomicBoolean loading = new AtomicBoolean(true);
        final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<Integer> versions = new ConcurrentLinkedQueue<>();
        final List<Thread> load = new ArrayList<>();
        for (int t = 0; t < 4; t++)
        {
            final int thread = t;
            final Thread worker = new Thread(() ->
            {
                for (int n = 0; loading.get(); n++)
                {
                    try
                    {
                        versions.add(greet((thread + n) % 3, "load-" + (n % 50)).path("version").asInt());
                    }
                    catch (final Exception | AssertionError ex)
                    {
                        failures.add(ex.toString());
                    }
                }
            }, "deployment-it-load-" + t);
            worker.start();
            load.add(worker);
        }
        Thread.sleep(500);
        assertThat(upload(2, v2, v2Sha).statusCode()).isEqualTo(201);
        awaitEveryNodeRuns(v2Sha);
        final int before = versions.size();
        Thread.sleep(500);
        loading.set(false);
        for (final Thread worker : load)
        {
            worker.join();
        }
        assertThat(failures).as("requests that failed during the upgrade").isEmpty();
        assertThat(versions).contains(1, 2);
        assertThat(new ArrayList<>(versions).subList(before + 4 * 2, versions.size()))
            .as("answers to requests sent after v2 ran everywhere").containsOnly(2);

        // The state moved over through v2's migration hook, and is stored as v2's.
        final JsonNode alice = greet(0, "alice");
        assertThat(alice.path("version").asInt()).isEqualTo(2);
        assertThat(alice.path("greetings").asLong()).isEqualTo(6);
        assertThat(alice.path("greetingsByV1").asLong()).isEqualTo(5);
        final AgentId aliceId = AgentId.of("greeter", "alice");
        final RookeryNode leader = cluster.servingLeader(leader0().partitionOf(aliceId));
        assertThat(StoredState.writtenBy(leader.localStoredState(aliceId).orElseThrow())).isEqualTo("2.0.0");

        // Rollback, then forward again.
        assertThat(post(1, "/admin/deployments/greeter/rollback").statusCode()).isEqualTo(200);
        awaitEveryNodeRuns(v1Sha);
        final JsonNode back = greet(1, "alice");
        assertThat(back.path("version").asInt()).isEqualTo(1);
        assertThat(back.path("greetings").asLong()).isEqualTo(7);
        assertThat(post(0, "/admin/deployments/greeter/activate?version=2.0.0").statusCode()).isEqualTo(200);
        awaitEveryNodeRuns(v2Sha);
        assertRefused(post(0, "/admin/deployments/greeter/prune?version=2.0.0"), 409, "REFUSED");

        // v1, drained, is pruned after the retention: class loaders closed, bytes gone on every node.
        cluster.await("v1 pruned on every node", Duration.ofSeconds(60), () ->
        {
            final JsonNode view = deployments();
            boolean pruned = false;
            for (final JsonNode v : view.path("bundles").get(0).path("versions"))
            {
                pruned |= v.path("sha256").asText().equals(v1Sha) && v.path("status").asText().equals("PRUNED");
            }
            for (final JsonNode node : view.path("nodes"))
            {
                pruned &= !node.path("versions").has(v1Sha);
            }
            return pruned;
        });
        for (final RookeryNode node : cluster.running())
        {
            assertThat(node.context().dataDir().resolve("bundles").resolve(v1Sha + ".jar")).doesNotExist();
            assertThat(node.context().dataDir().resolve("bundles").resolve(v2Sha + ".jar")).exists();
        }
        assertThat(metrics(0)).contains("rookery_bundle_agents{bundle=\"greeter\",state=\"active\",version=\"2.0.0\"}");

        // A node that restarts serves the active version before it reads the record.
        cluster.stopNode(1);
        final RookeryNode restarted = cluster.restartNode(1);
        assertThat(restarted.context().dataDir().resolve("bundles").resolve(v2Sha + ".jar")).exists();
        cluster.awaitSettled(Duration.ofSeconds(90));
        assertThat(greet(1, "bob").path("version").asInt()).isEqualTo(2);
    }

    private RookeryNode leader0()
    {
        return cluster.node(0);
    }

    private void awaitEveryNodeRuns(final String sha)
    {
        cluster.await("every node runs " + sha.substring(0, 12), Duration.ofSeconds(60), () ->
        {
            for (final JsonNode node : deployments().path("nodes"))
            {
                if (!sha.equals(node.path("installed").path("greeter").asText()) ||
                    !node.path("agentsMoved").asBoolean())
                {
                    return false;
                }
            }
            return true;
        });
    }

    private JsonNode deployments()
    {
        return Codecs.parseJson(get(0, "/admin/deployments/greeter").body());
    }

    private JsonNode record()
    {
        return Codecs.parseJson(get(0, "/admin/deployments").body());
    }

    private String metrics(final int node)
    {
        return new String(get(node, "/metrics").body(), StandardCharsets.UTF_8);
    }

    private JsonNode greet(final int node, final String key) throws Exception
    {
        final HttpResponse<byte[]> response = HTTP.send(HttpRequest.newBuilder(
                URI.create("http://" + cluster.node(node).httpEndpoint() + "/agents/greeter/" + key))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"op\":\"greet\"}")).build(),
            HttpResponse.BodyHandlers.ofByteArray());
        assertThat(response.statusCode()).as(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo(200);
        return Codecs.parseJson(response.body());
    }

    private HttpResponse<byte[]> upload(final int node, final byte[] jar, final String sha) throws Exception
    {
        return HTTP.send(HttpRequest.newBuilder(
                URI.create("http://" + cluster.node(node).httpEndpoint() + "/admin/bundles?sha256=" + sha))
            .header("Content-Type", "application/java-archive")
            .POST(HttpRequest.BodyPublishers.ofByteArray(jar)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private HttpResponse<byte[]> post(final int node, final String path) throws Exception
    {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://" + cluster.node(node).httpEndpoint() + path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private HttpResponse<byte[]> get(final int node, final String path)
    {
        try
        {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://" + cluster.node(node).httpEndpoint() + path))
                .GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    private static void assertRefused(final HttpResponse<byte[]> response, final int code, final String error)
    {
        final String body = new String(response.body(), StandardCharsets.UTF_8);
        assertThat(response.statusCode()).as(body).isEqualTo(code);
        assertThat(Codecs.parseJson(response.body()).path("status").asText()).as(body).isEqualTo(error);
    }

    private static byte[] withDescriptor(final byte[] jar, final String name, final String version, final String types)
    {
        final Map<String, byte[]> entries = new LinkedHashMap<>(BundleJars.entries(jar));
        entries.put(BundleDescriptor.PATH, BundleJars.descriptor(name, version, types).getValue());
        return BundleJars.jar(entries);
    }
}
