package io.rookery.chaos;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.JsonNode;
import io.rookery.api.Codecs;
import io.rookery.cli.LocalCluster;
import io.rookery.client.RookeryClient;

/**
 * The cluster under test: real node processes (one per network namespace when possible) and the
 * handles the nemesis needs to hurt them.
 */
public final class ChaosCluster implements AutoCloseable
{
    private final NetworkLab lab;
    private final LocalCluster cluster;
    private final java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder()
        .connectTimeout(Duration.ofSeconds(1)).build();

    /**
     * @param lab       the network.
     * @param nodes     number of nodes.
     * @param basePort  first port.
     * @param jvmArgs   extra JVM arguments of every node (fault injection).
     * @param nodeArgs  extra node arguments.
     * @param dir       data and log directory.
     */
    public ChaosCluster(final NetworkLab lab, final int nodes, final int basePort, final List<String> jvmArgs,
        final List<String> nodeArgs, final Path dir)
    {
        this.lab = lab;
        this.cluster = LocalCluster.builder()
            .nodes(nodes)
            .basePort(basePort)
            .hosts(lab::address)
            .commandPrefixes(lab::commandPrefix)
            .jvmArgs(jvmArgs)
            .nodeArgs(nodeArgs)
            .directory(dir, false)
            .restart(LocalCluster.Restart.ON_REQUEST, Duration.ZERO)
            .build();
    }

    /**
     * Starts every node and waits for readiness.
     *
     * @param timeout how long to wait.
     */
    public void start(final Duration timeout)
    {
        cluster.start();
        cluster.awaitReady(timeout);
    }

    /** @return number of nodes. */
    public int size()
    {
        return cluster.size();
    }

    /** @return the network. */
    public NetworkLab lab()
    {
        return lab;
    }

    /**
     * @param i node index.
     * @return its id.
     */
    public String nodeId(final int i)
    {
        return cluster.nodeId(i);
    }

    /**
     * @param nodeId a node id.
     * @return its index.
     */
    public int indexOf(final String nodeId)
    {
        return Integer.parseInt(nodeId.substring(1)) - 1;
    }

    /** @return HTTP endpoints of all nodes. */
    public List<String> endpoints()
    {
        final List<String> endpoints = new ArrayList<>();
        for (int i = 0; i < size(); i++)
        {
            endpoints.add(cluster.httpEndpoint(i));
        }
        return endpoints;
    }

    /**
     * @param timeout per request.
     * @return a client over every node.
     */
    public RookeryClient client(final Duration timeout)
    {
        return RookeryClient.connect(endpoints(), timeout);
    }

    /**
     * @param i node index.
     * @return its process id, or -1 when stopped.
     */
    public long pid(final int i)
    {
        final Process process = cluster.process(i);
        return process == null ? -1 : process.pid();
    }

    /**
     * @param i node index.
     * @return whether its process is alive.
     */
    public boolean alive(final int i)
    {
        return cluster.isRunning(i);
    }

    /**
     * @param i node index.
     * @return the process's exit code after a kill.
     */
    public String kill9(final int i)
    {
        final Process process = cluster.process(i);
        if (process == null)
        {
            return "already stopped";
        }
        final long pid = process.pid();
        signal(pid, "KILL");
        try
        {
            process.waitFor(10, TimeUnit.SECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        final String evidence = "pid " + pid + " exited with " + (process.isAlive() ? "(still alive!)" :
            String.valueOf(process.exitValue()));
        cluster.killNode(i);
        return evidence;
    }

    /**
     * @param i node index.
     * @return evidence the process is stopped.
     */
    public String pause(final int i)
    {
        final long pid = pid(i);
        signal(pid, "STOP");
        final long deadline = System.nanoTime() + 2_000_000_000L;
        while (!processState(pid).contains("stopped") && System.nanoTime() < deadline)
        {
            sleep(10);
        }
        return "pid " + pid + " " + processState(pid);
    }

    /**
     * @param i node index.
     * @return evidence the process runs again.
     */
    public String resume(final int i)
    {
        final long pid = pid(i);
        signal(pid, "CONT");
        return "pid " + pid + " " + processState(pid);
    }

    /**
     * Starts a stopped node again.
     *
     * @param i       node index.
     * @param timeout how long to wait for it to be ready.
     * @return evidence (new pid, time to ready).
     */
    public String restart(final int i, final Duration timeout)
    {
        return startAndAwaitReady(i, timeout, () -> cluster.startNode(i), "restarted");
    }

    /**
     * Starts a stopped node with {@code starter} and waits until it answers {@code /ready}.
     */
    private String startAndAwaitReady(final int i, final Duration timeout, final Runnable starter, final String what)
    {
        final long start = System.nanoTime();
        // Only the start is exclusive: restart-all brings every node up at once, and a node's
        // partitions need a quorum of the others before it reports ready.
        synchronized (this)
        {
            if (alive(i))
            {
                return "already running as pid " + pid(i);
            }
            starter.run();
        }
        final long deadline = start + timeout.toNanos();
        // Decided once: /ready can flap while partitions settle, and the evidence must say what the loop saw.
        boolean ready = cluster.isReady(i);
        while (!ready && System.nanoTime() < deadline)
        {
            sleep(200);
            ready = cluster.isReady(i);
        }
        return what + " as pid " + pid(i) + (ready ?
            ", ready after " + (System.nanoTime() - start) / 1_000_000 + " ms" : ", NOT ready within " + timeout);
    }

    /**
     * Stops a node gracefully (SIGTERM): it tells gossip it is leaving.
     *
     * @param i node index.
     * @return evidence.
     */
    public String stop(final int i)
    {
        final long pid = pid(i);
        cluster.stopNode(i, Duration.ofSeconds(30));
        return "SIGTERM " + nodeId(i) + " (pid " + pid + "): " + (alive(i) ? "still running" : "stopped");
    }

    /**
     * Starts a stopped node as a new one (data directory wiped, joining through gossip) and waits
     * until it is ready.
     *
     * @param i       node index.
     * @param timeout how long to wait for it to be ready.
     * @return evidence.
     */
    public String joinAfresh(final int i, final Duration timeout)
    {
        return startAndAwaitReady(i, timeout, () -> cluster.startNodeAfresh(i), "joined afresh");
    }

    /**
     * @return the body of a node's answer to {@code GET path}.
     */
    private String get(final String endpoint, final String path, final Duration timeout)
        throws IOException, InterruptedException
    {
        return http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://" + endpoint + path))
            .timeout(timeout).build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
    }

    /**
     * @return the cluster view of the first node that answers, or null.
     */
    public JsonNode view()
    {
        for (final String endpoint : endpoints())
        {
            try
            {
                return Codecs.parseJson(
                    get(endpoint, "/cluster", Duration.ofSeconds(5)).getBytes(StandardCharsets.UTF_8));
            }
            catch (final IOException | RuntimeException ex)
            {
                // try the next node
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                return null;
            }
        }
        return null;
    }

    /**
     * What every node knows of a partition ({@code GET /admin/partitions/P}), for a report.
     *
     * @return node id to its answer's body, or to the reason there is none.
     */
    public Map<String, String> describePartition(final int partition)
    {
        final Map<String, String> views = new TreeMap<>();
        for (int i = 0; i < size(); i++)
        {
            try
            {
                views.put(nodeId(i), get(cluster.httpEndpoint(i), "/admin/partitions/" + partition,
                    Duration.ofSeconds(5)));
            }
            catch (final IOException | RuntimeException ex)
            {
                views.put(nodeId(i), "no answer: " + ex);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return views;
    }

    /**
     * Asks the node serving a partition to hand it to another node's group, through the public admin API.
     *
     * @param partition the partition.
     * @param leader    id of the node serving it.
     * @param to        id of the node whose group is to take it.
     * @return the answer's status code, or -1 when the node did not answer.
     */
    public int movePartition(final int partition, final String leader, final String to)
    {
        try
        {
            return http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://" +
                        cluster.httpEndpoint(indexOf(leader)) + "/admin/partitions/" + partition + "/move?to=" + to))
                    .timeout(Duration.ofSeconds(5)).header("Content-Type", "application/json")
                    .POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
                java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
        }
        catch (final IOException | RuntimeException ex)
        {
            return -1;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /**
     * @return partition to leader node id as the cluster reports it (any reachable node).
     */
    public Map<Integer, String> leaders()
    {
        final Map<Integer, String> leaders = new TreeMap<>();
        for (final String endpoint : endpoints())
        {
            try
            {
                final JsonNode view = Codecs.parseJson(
                    get(endpoint, "/cluster?scope=local", Duration.ofSeconds(2)).getBytes(StandardCharsets.UTF_8));
                for (final JsonNode p : view.get("partitions"))
                {
                    if (p.path("servedHere").asBoolean())
                    {
                        leaders.put(p.get("partition").asInt(), view.get("node").asText());
                    }
                }
            }
            catch (final IOException | RuntimeException ex)
            {
                // unreachable node: its partitions are reported by others or not at all
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        return leaders;
    }

    /**
     * @param i    node index.
     * @param name a metric family without labels, for example {@code rookery_transport_reconnects_total}.
     * @return its value scraped from the node's {@code /metrics}, or NaN when the node does not answer.
     */
    public double metric(final int i, final String name)
    {
        try
        {
            final String text = get(cluster.httpEndpoint(i), "/metrics", Duration.ofSeconds(2));
            for (final String line : text.split("\n"))
            {
                if (line.startsWith(name + " "))
                {
                    return Double.parseDouble(line.substring(name.length() + 1).trim());
                }
            }
            return Double.NaN;
        }
        catch (final IOException | RuntimeException ex)
        {
            return Double.NaN;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return Double.NaN;
        }
    }

    /**
     * @param i node index.
     * @return the tail of its log.
     */
    public String logTail(final int i)
    {
        return LocalCluster.tail(cluster.logFile(i), 40);
    }

    /**
     * Stops every node (continuing paused ones first) and keeps the logs.
     */
    public void close()
    {
        for (int i = 0; i < size(); i++)
        {
            if (alive(i))
            {
                signal(pid(i), "CONT");
            }
        }
        cluster.close();
    }

    /**
     * @return every node's log, for the results folder.
     */
    public Map<String, Path> logs()
    {
        final Map<String, Path> logs = new TreeMap<>();
        for (int i = 0; i < size(); i++)
        {
            logs.put(nodeId(i), cluster.logFile(i));
        }
        return logs;
    }

    private static String processState(final long pid)
    {
        try
        {
            for (final String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"), StandardCharsets.UTF_8))
            {
                if (line.startsWith("State:"))
                {
                    return line.trim();
                }
            }
            return "(no state)";
        }
        catch (final IOException ex)
        {
            return "(gone)";
        }
    }

    private static void signal(final long pid, final String signal)
    {
        if (pid <= 0)
        {
            return;
        }
        try
        {
            new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).start().waitFor(10, TimeUnit.SECONDS);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot signal " + pid, ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Runs the steps at once, one thread each, and waits for all of them: faults are healed this
     * way where one restarted node may need another to be back before it can be ready.
     *
     * @param steps steps that each return their evidence.
     * @return the evidence, in the order of the steps.
     */
    public static List<String> together(final List<Supplier<String>> steps)
    {
        final String[] evidence = new String[steps.size()];
        final RuntimeException[] failures = new RuntimeException[steps.size()];
        final List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < steps.size(); i++)
        {
            final int slot = i;
            final Thread thread = new Thread(() ->
            {
                try
                {
                    evidence[slot] = steps.get(slot).get();
                }
                catch (final RuntimeException ex)
                {
                    failures[slot] = ex;
                }
            });
            thread.start();
            threads.add(thread);
        }
        for (final Thread thread : threads)
        {
            try
            {
                thread.join();
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        RuntimeException failure = null;
        for (final RuntimeException ex : failures)
        {
            if (ex != null && failure == null)
            {
                failure = ex;
            }
            else if (ex != null)
            {
                failure.addSuppressed(ex);
            }
        }
        if (failure != null)
        {
            throw failure;
        }
        return Arrays.asList(evidence);
    }

    public static void sleep(final long millis)
    {
        try
        {
            Thread.sleep(millis);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
