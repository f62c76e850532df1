package io.rookery.cli;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicIntegerArray;

import com.fasterxml.jackson.databind.JsonNode;
import io.rookery.api.AgentId;
import io.rookery.node.Partitioner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code rookery demo}: a local cluster of identical peer nodes (separate processes) doing real
 * work. Increments are spread over counters in every partition through every node; then each
 * counter is read back through a different node than the one last written to, and the demo exits
 * 0 only if every acknowledged increment is present.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, subcommands = UpgradeDemo.class,
    description = "Start a local cluster, run increments over counters in every partition, verify, stop. " +
        "`demo upgrade`: deploy a new version of an agent bundle under load.")
final class DemoCommand implements Callable<Integer>
{
    @Option(names = "--nodes", defaultValue = "3", description = "Nodes (default: ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--counters", defaultValue = "128", description = "Counter agents (default: ${DEFAULT-VALUE}).")
    int counters;

    @Option(names = "--increments", defaultValue = "40",
        description = "Increments per counter (default: ${DEFAULT-VALUE}).")
    int increments;

    @Option(names = "--concurrency", defaultValue = "64",
        description = "Requests in flight (default: ${DEFAULT-VALUE}).")
    int concurrency;

    @Option(names = "--partitions", defaultValue = "256", description = "Partitions (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--base-port", defaultValue = "0", description = "First port (default: a free range from 7100).")
    int basePort;

    public Integer call() throws Exception
    {
        final int base = basePort > 0 ? basePort : freeRange(7100, nodes * 10);
        final LocalCluster cluster = LocalCluster.builder()
            .nodes(nodes)
            .basePort(base)
            .nodeArgs(List.of("--partitions=" + partitions))
            .build();
        final ExecutorService executor = Executors.newFixedThreadPool(4, r ->
        {
            final Thread thread = new Thread(r, "demo-http");
            thread.setDaemon(true);
            return thread;
        });
        try
        {
            System.out.printf("== starting %d peer nodes (separate processes) in %s%n", nodes, cluster.directory());
            final long startNs = System.nanoTime();
            cluster.start();
            cluster.awaitReady(Duration.ofMinutes(3));
            System.out.printf("   all %d nodes ready in %.1f s%n", nodes, (System.nanoTime() - startNs) / 1e9);
            for (int i = 0; i < nodes; i++)
            {
                System.out.printf("   %s http=%s gossip=%s%n", cluster.nodeId(i), cluster.httpEndpoint(i),
                    cluster.gossipEndpoint(i));
            }
            return run(cluster, new Http(Duration.ofSeconds(30), executor));
        }
        finally
        {
            System.out.println("== stopping the cluster");
            cluster.close();
            executor.shutdownNow();
        }
    }

    private int run(final LocalCluster cluster, final Http http) throws Exception
    {
        System.out.println("== deploying the example agents (" + LocalCommand.EXAMPLES + ") through " +
            cluster.nodeId(0));
        final String refused = DeployCommands.deployAndAwait(http, cluster.httpEndpoint(0),
            DeployCommands.shippedBundle(LocalCommand.EXAMPLES), 120);
        if (refused != null)
        {
            System.out.println("   FAILED: " + refused);
            return Main.EXIT_CHECK_FAILED;
        }
        final List<String> keys = keysCoveringAllPartitions();
        System.out.printf("== workload: %d increments over %d counters in all %d partitions, %d in flight%n",
            (long)keys.size() * increments, keys.size(), partitions, concurrency);

        final AtomicLongArray sent = new AtomicLongArray(keys.size());
        final AtomicLongArray acked = new AtomicLongArray(keys.size());
        final AtomicIntegerArray lastWriter = new AtomicIntegerArray(keys.size());
        final AtomicLong failures = new AtomicLong();
        final Map<String, AtomicLong> failureKinds = new TreeMap<>();
        final Semaphore inFlight = new Semaphore(concurrency);
        final long startNs = System.nanoTime();
        long nextProgressNs = startNs + 1_000_000_000L;
        final List<CompletableFuture<Void>> calls = new ArrayList<>();
        for (int round = 0; round < increments; round++)
        {
            for (int c = 0; c < keys.size(); c++)
            {
                final int counter = c;
                final int node = (c + round) % cluster.size();
                inFlight.acquire();
                sent.incrementAndGet(counter);
                lastWriter.set(counter, node);
                calls.add(http.postAsync(cluster.httpEndpoint(node), Http.agentPath("counter", keys.get(counter)),
                        "{\"op\":\"increment\",\"by\":1}")
                    .handle((reply, ex) ->
                    {
                        inFlight.release();
                        if (ex == null && reply.status() == 200)
                        {
                            acked.incrementAndGet(counter);
                        }
                        else
                        {
                            failures.incrementAndGet();
                            final String kind = ex != null ? ex.getClass().getSimpleName() : "HTTP " + reply.status();
                            synchronized (failureKinds)
                            {
                                failureKinds.computeIfAbsent(kind, k -> new AtomicLong()).incrementAndGet();
                            }
                        }
                        return null;
                    }));
                if (System.nanoTime() - nextProgressNs > 0)
                {
                    nextProgressNs += 1_000_000_000L;
                    System.out.printf("   ... sent %d, acknowledged %d%n", sum(sent), sum(acked));
                }
            }
        }
        CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).join();
        final double seconds = (System.nanoTime() - startNs) / 1e9;
        System.out.printf("   sent %d, acknowledged %d, failed %d in %.1f s (%.0f acknowledged increments/s)%n",
            sum(sent), sum(acked), failures.get(), seconds, sum(acked) / seconds);
        if (!failureKinds.isEmpty())
        {
            System.out.println("   failures by kind: " + failureKinds);
        }

        printLeaders(http.get(cluster.httpEndpoint(0), "/cluster").json());

        System.out.println("== reading every counter back through another node than the one it was last written to");
        long total = 0;
        long lost = 0;
        long unreadable = 0;
        final int[] readsPerNode = new int[cluster.size()];
        for (int c = 0; c < keys.size(); c++)
        {
            final int readNode = (lastWriter.get(c) + 1) % cluster.size();
            readsPerNode[readNode]++;
            final Http.Reply reply = http.get(cluster.httpEndpoint(readNode), Http.agentPath("counter", keys.get(c)));
            if (reply.status() != 200)
            {
                unreadable++;
                System.out.printf("   counter %s unreadable via %s: HTTP %d %s%n", keys.get(c),
                    cluster.nodeId(readNode), reply.status(), reply.body());
                continue;
            }
            final long value = reply.json().get("state").asLong();
            total += value;
            if (value < acked.get(c) || value > sent.get(c))
            {
                lost++;
                System.out.printf("   counter %s: value %d but %d acknowledged and %d sent%n", keys.get(c), value,
                    acked.get(c), sent.get(c));
            }
        }
        for (int i = 0; i < cluster.size(); i++)
        {
            System.out.printf("   read %d counters through %s%n", readsPerNode[i], cluster.nodeId(i));
        }
        System.out.println("== summary");
        System.out.printf("   counters: %d in %d partitions%n", keys.size(), partitions);
        System.out.printf("   increments sent: %d  acknowledged: %d  failed or unknown: %d%n", sum(sent), sum(acked),
            failures.get());
        System.out.printf("   final total read back: %d (acknowledged %d, sent %d)%n", total, sum(acked), sum(sent));
        if (lost == 0 && unreadable == 0)
        {
            System.out.println("   OK: every acknowledged increment is present");
            return 0;
        }
        System.out.printf("   FAILED: %d counters miss acknowledged increments, %d unreadable%n", lost, unreadable);
        return Main.EXIT_CHECK_FAILED;
    }

    private List<String> keysCoveringAllPartitions()
    {
        final int perPartition = Math.max(1, (counters + partitions - 1) / partitions);
        final int[] filled = new int[partitions];
        final List<String> keys = new ArrayList<>();
        for (int i = 0; keys.size() < Math.max(counters, partitions); i++)
        {
            final String key = "c" + i;
            final int p = Partitioner.partition(AgentId.of("counter", key), partitions);
            if (filled[p] < perPartition)
            {
                filled[p]++;
                keys.add(key);
            }
        }
        return keys;
    }

    private static void printLeaders(final JsonNode cluster)
    {
        System.out.println("== partition leaders (from /cluster; each node leads its own Raft group)");
        final Map<String, List<Integer>> byLeader = new TreeMap<>();
        for (final JsonNode p : cluster.get("partitions"))
        {
            final String leader = p.get("leader").isNull() ? "(none)" : p.get("leader").asText();
            byLeader.computeIfAbsent(leader, k -> new ArrayList<>()).add(p.get("partition").asInt());
        }
        byLeader.forEach((leader, led) -> System.out.printf("   %-8s serves %3d partitions: %s%n", leader, led.size(),
            led.size() > 12 ? led.subList(0, 12) + " and " + (led.size() - 12) + " more" : led));
    }

    private static long sum(final AtomicLongArray values)
    {
        long sum = 0;
        for (int i = 0; i < values.length(); i++)
        {
            sum += values.get(i);
        }
        return sum;
    }

    static int freeRange(final int from, final int width)
    {
        for (int base = from; base < 60000; base += 100)
        {
            boolean free = true;
            for (int port = base; port < base + width && free; port++)
            {
                try (ServerSocket socket = new ServerSocket(port))
                {
                    socket.setReuseAddress(true);
                }
                catch (final IOException ex)
                {
                    free = false;
                }
            }
            if (free)
            {
                return base;
            }
        }
        throw new IllegalStateException("no free port range");
    }
}
