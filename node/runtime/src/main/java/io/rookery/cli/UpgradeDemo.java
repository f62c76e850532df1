package io.rookery.cli;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code rookery demo upgrade}: a new version of an agent bundle deployed into a cluster under
 * load. It starts a local cluster, deploys version 1 of the greeter bundle, greets through every
 * node from many connections, deploys version 2 (which greets differently and migrates the
 * state) in the middle of that load, and checks that no request failed, that every request sent
 * after the deploy returned was answered by version 2, that version 1 was drained and pruned on
 * every node, and that no node restarted. Its last line is
 * {@code UPGRADE v1->v2: <n> requests, 0 failed, v1 pruned}, and it exits 0 only if all of that holds.
 */
@Command(name = "upgrade", mixinStandardHelpOptions = true,
    description = "Start a local cluster, deploy greeter v1, put load on it, deploy v2 in the middle of the load, " +
        "verify that nothing failed, that new requests got v2, that v1 was pruned and no node restarted.")
final class UpgradeDemo implements Callable<Integer>
{
    private static final String V1 = "rookery-example-greeter-v1.jar";
    private static final String V2 = "rookery-example-greeter-v2.jar";

    @Option(names = "--nodes", defaultValue = "3", description = "Nodes (default: ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--connections", defaultValue = "64",
        description = "Connections greeting at once (default: ${DEFAULT-VALUE}).")
    int connections;

    @Option(names = "--keys", defaultValue = "1000", description = "Greeter agents (default: ${DEFAULT-VALUE}).")
    int keys;

    @Option(names = "--before-s", defaultValue = "15",
        description = "Seconds of load on v1 before v2 is deployed (default: ${DEFAULT-VALUE}).")
    int beforeSeconds;

    @Option(names = "--after-s", defaultValue = "15",
        description = "Seconds of load after v2 runs everywhere (default: ${DEFAULT-VALUE}).")
    int afterSeconds;

    @Option(names = "--retention-s", defaultValue = "5",
        description = "Seconds a drained v1 is kept before it is pruned (default: ${DEFAULT-VALUE}).")
    int retentionSeconds;

    @Option(names = "--base-port", defaultValue = "0", description = "First port (default: a free range from 7200).")
    int basePort;

    /** One request: when it was sent (ns since start), how long it took, and which version answered (0: failed). */
    private record Sample(long sentNs, long latencyNs, int version)
    {
    }

    public Integer call() throws Exception
    {
        final int base = basePort > 0 ? basePort : DemoCommand.freeRange(7200, nodes * 10);
        final LocalCluster cluster = LocalCluster.builder()
            .nodes(nodes)
            .basePort(base)
            .restart(LocalCluster.Restart.NEVER, Duration.ZERO)
            .nodeArgs(List.of("--bundle-retention-s=" + retentionSeconds))
            .build();
        try
        {
            System.out.printf("== starting %d peer nodes in %s%n", nodes, cluster.directory());
            cluster.start();
            cluster.awaitReady(Duration.ofMinutes(3));
            return run(cluster);
        }
        finally
        {
            System.out.println("== stopping the cluster");
            cluster.close();
        }
    }

    private int run(final LocalCluster cluster) throws Exception
    {
        final Http http = new Http(Duration.ofSeconds(30), null);
        final long[] pids = new long[nodes];
        for (int i = 0; i < nodes; i++)
        {
            pids[i] = cluster.process(i).pid();
        }
        final String via = cluster.httpEndpoint(0);
        System.out.println("== deploying greeter v1 through " + cluster.nodeId(0));
        String refused = DeployCommands.deployAndAwait(http, via, DeployCommands.shippedBundle(V1), 120);
        if (refused != null)
        {
            System.out.println("   FAILED: " + refused);
            return Main.EXIT_CHECK_FAILED;
        }
        final String v1Sha = sha(http, via, "1.0.0");
        System.out.printf("   greeter v1 runs on every node (sha256 %s)%n", v1Sha.substring(0, 12));

        final long startNs = System.nanoTime();
        final ConcurrentLinkedQueue<Sample> samples = new ConcurrentLinkedQueue<>();
        final Map<String, Integer> failures = new TreeMap<>();
        final AtomicBoolean running = new AtomicBoolean(true);
        final List<Thread> workers = new ArrayList<>();
        System.out.printf("== greeting %d greeters from %d connections through all %d nodes%n", keys, connections,
            nodes);
        for (int c = 0; c < connections; c++)
        {
            final int connection = c;
            final Thread worker = new Thread(
                () -> greet(http, cluster, connection, startNs, running, samples, failures), "upgrade-load-" + c);
            worker.setDaemon(true);
            worker.start();
            workers.add(worker);
        }
        Thread.sleep(TimeUnit.SECONDS.toMillis(beforeSeconds));

        System.out.println("== deploying greeter v2 through " + cluster.nodeId(nodes - 1) + " under load");
        final long switchStartNs = System.nanoTime() - startNs;
        refused = DeployCommands.deployAndAwait(http, cluster.httpEndpoint(nodes - 1),
            DeployCommands.shippedBundle(V2), 120);
        final long switchEndNs = System.nanoTime() - startNs;
        if (refused != null)
        {
            running.set(false);
            System.out.println("   FAILED: " + refused);
            return Main.EXIT_CHECK_FAILED;
        }
        System.out.printf("   v2 runs on every node %.2f s after the upload began%n",
            (switchEndNs - switchStartNs) / 1e9);
        Thread.sleep(TimeUnit.SECONDS.toMillis(afterSeconds));
        running.set(false);
        for (final Thread worker : workers)
        {
            worker.join(TimeUnit.SECONDS.toMillis(40));
        }

        final List<Sample> all = new ArrayList<>(samples);
        final long failed = all.stream().filter(s -> s.version() == 0).count();
        final long byV1 = all.stream().filter(s -> s.version() == 1).count();
        final long byV2 = all.stream().filter(s -> s.version() == 2).count();
        final long v1AfterSwitch = all.stream().filter(s -> s.sentNs() > switchEndNs && s.version() == 1).count();
        final long steadyFrom = Math.max(0, switchStartNs - TimeUnit.SECONDS.toNanos(Math.max(1, beforeSeconds - 5)));
        final double steadyP99 = p99(all.stream().filter(s -> s.sentNs() >= steadyFrom && s.sentNs() < switchStartNs)
            .toList());
        final double switchP99 = p99(all.stream().filter(s -> s.sentNs() >= switchStartNs - 1_000_000_000L &&
            s.sentNs() <= switchEndNs + 1_000_000_000L).toList());
        System.out.printf("   %d requests: %d answered by v1, %d by v2, %d failed %s%n", all.size(), byV1, byV2,
            failed, failures.isEmpty() ? "" : failures.toString());
        System.out.printf("   requests sent after v2 ran everywhere but answered by v1: %d%n", v1AfterSwitch);
        System.out.printf("   p99 latency: steady %.1f ms, around the switch %.1f ms (%.2fx)%n", steadyP99, switchP99,
            steadyP99 > 0 ? switchP99 / steadyP99 : 0);

        System.out.println("== waiting for v1 to drain and be pruned on every node");
        final String pruned = awaitPruned(http, via, v1Sha, Duration.ofSeconds(retentionSeconds + 60));
        System.out.println("   " + (pruned == null ? "v1 pruned: class loaders closed and bytes deleted on every node" :
            "v1 NOT pruned: " + pruned));

        int restarted = 0;
        for (int i = 0; i < nodes; i++)
        {
            if (!cluster.isRunning(i) || cluster.process(i).pid() != pids[i])
            {
                restarted++;
                System.out.println("   node " + cluster.nodeId(i) + " restarted or stopped");
            }
        }
        System.out.printf("   nodes restarted: %d%n", restarted);

        final JsonNode sample = http.post(via, Http.agentPath("greeter", "key-0"), "{\"op\":\"get\"}").json();
        System.out.println("   greeter key-0 now answers: " + sample);

        final boolean ok = failed == 0 && v1AfterSwitch == 0 && byV1 > 0 && byV2 > 0 && pruned == null &&
            restarted == 0;
        System.out.printf("UPGRADE v1->v2: %d requests, %d failed, v1 %s%n", all.size(), failed,
            pruned == null ? "pruned" : "not pruned");
        return ok ? 0 : Main.EXIT_CHECK_FAILED;
    }

    private void greet(final Http http, final LocalCluster cluster, final int connection, final long startNs,
        final AtomicBoolean running, final ConcurrentLinkedQueue<Sample> samples, final Map<String, Integer> failures)
    {
        long n = connection;
        while (running.get())
        {
            final String key = "key-" + (n % keys);
            final String endpoint = cluster.httpEndpoint((int)(n % nodes));
            n += connections;
            final long sentNs = System.nanoTime();
            int version = 0;
            String failure = null;
            try
            {
                final Http.Reply reply = http.post(endpoint, Http.agentPath("greeter", key), "{\"op\":\"greet\"}");
                if (reply.status() == 200)
                {
                    version = reply.json().path("version").asInt();
                }
                else
                {
                    failure = "HTTP " + reply.status() + " " + DeployCommands.reason(reply);
                }
            }
            catch (final Exception ex)
            {
                failure = ex.getClass().getSimpleName();
            }
            if (failure != null)
            {
                synchronized (failures)
                {
                    failures.merge(failure.length() > 120 ? failure.substring(0, 120) : failure, 1, Integer::sum);
                }
            }
            samples.add(new Sample(sentNs - startNs, System.nanoTime() - sentNs, version));
        }
    }

    private static String sha(final Http http, final String via, final String version) throws Exception
    {
        for (final JsonNode b : http.get(via, "/admin/deployments/greeter").json().path("bundles"))
        {
            for (final JsonNode v : b.path("versions"))
            {
                if (version.equals(v.path("version").asText()))
                {
                    return v.path("sha256").asText();
                }
            }
        }
        throw new IllegalStateException("greeter " + version + " is not in the deployment record");
    }

    /** @return null once the record says v1 is pruned and no node still has it loaded, else what is missing. */
    private static String awaitPruned(final Http http, final String via, final String sha, final Duration timeout)
        throws Exception
    {
        final long deadline = System.nanoTime() + timeout.toNanos();
        String missing = "no answer";
        while (System.nanoTime() < deadline)
        {
            final Http.Reply reply = http.get(via, "/admin/deployments/greeter");
            if (reply.status() == 200)
            {
                missing = null;
                final JsonNode view = reply.json();
                for (final JsonNode b : view.path("bundles"))
                {
                    for (final JsonNode v : b.path("versions"))
                    {
                        if (sha.equals(v.path("sha256").asText()) && !"PRUNED".equals(v.path("status").asText()))
                        {
                            missing = "the record says " + v.path("status").asText();
                        }
                    }
                }
                for (final JsonNode node : view.path("nodes"))
                {
                    if (missing == null && (node.has("error") || node.path("versions").has(sha)))
                    {
                        missing = "node " + node.path("node").asText() + " still has it loaded";
                    }
                }
                if (missing == null)
                {
                    return null;
                }
            }
            Thread.sleep(500);
        }
        return missing;
    }

    private static double p99(final List<Sample> samples)
    {
        if (samples.isEmpty())
        {
            return 0;
        }
        final long[] latencies = samples.stream().mapToLong(Sample::latencyNs).toArray();
        Arrays.sort(latencies);
        return latencies[(int)Math.min(latencies.length - 1, Math.ceil(latencies.length * 0.99) - 1)] / 1e6;
    }
}
