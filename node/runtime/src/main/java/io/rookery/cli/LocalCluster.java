package io.rookery.cli;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.IntFunction;

import io.rookery.node.RookeryNode;
import io.rookery.raft.Hashing;
import io.rookery.testing.TestCluster;

/**
 * N peer nodes as separate OS processes on this machine, each with its own ports, data directory
 * and log file. Used by {@code rookery local}, {@code rookery demo}, the process-level tests and
 * the chaos suite.
 * <p>
 * Node i (from 0) uses ports {@code basePort + 10i + 0..3} for gossip, Raft, Aeron and HTTP, and
 * is started with the same {@code --initial-members} list as every other node.
 */
public final class LocalCluster implements AutoCloseable
{
    private static final String MAIN = "io.rookery.cli.Main";
    /** Exit codes of a JVM stopped by SIGTERM and SIGINT (128 + signal): stops, not failures. */
    private static final int EXIT_SIGTERM = 143;
    private static final int EXIT_SIGINT = 130;

    private final Path dir;
    private final int basePort;
    private final IntFunction<String> hosts;
    private final IntFunction<List<String>> commandPrefixes;
    private final boolean deleteOnClose;
    private final List<String> jvmArgs;
    private final List<String> nodeArgs;
    private final AtomicReferenceArray<Process> processes;
    private final java.util.Set<Integer> joiners = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final HttpClient http;
    private final String scheme;
    private final int size;
    private final Restart restart;
    private final Duration restartDelay;
    private final ScheduledExecutorService restarter;
    private volatile boolean closing;

    private LocalCluster(final Builder builder)
    {
        this.dir = builder.dir;
        this.basePort = builder.basePort;
        this.hosts = builder.hosts;
        this.commandPrefixes = builder.commandPrefixes;
        this.deleteOnClose = builder.deleteOnClose;
        this.jvmArgs = List.copyOf(builder.jvmArgs);
        this.nodeArgs = List.copyOf(builder.nodeArgs);
        this.size = builder.nodes;
        this.restart = builder.restart;
        this.restartDelay = builder.restartDelay;
        this.processes = new AtomicReferenceArray<>(size);
        final HttpClient.Builder client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2));
        if (builder.tlsCa != null)
        {
            client.sslContext(io.rookery.node.Tls.client(builder.tlsCa));
        }
        this.http = client.build();
        this.scheme = builder.tlsCa != null ? "https://" : "http://";
        this.restarter = restart == Restart.NEVER ? null : Executors.newSingleThreadScheduledExecutor(r ->
        {
            final Thread thread = new Thread(r, "rookery-local-supervisor");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** What happens to a node process that exits by itself (not through this class's stop or kill). */
    public enum Restart
    {
        /** It stays down. */
        NEVER,
        /** Started again when it exits asking for it ({@link RookeryNode#EXIT_RESTART}: a rolling restart). */
        ON_REQUEST,
        /**
         * Also started again, after a delay, when it crashes or is killed by a signal other than
         * SIGTERM or SIGINT, as systemd's {@code Restart=on-failure} or Kubernetes would.
         */
        ON_FAILURE
    }

    /** @return a builder with defaults: 3 nodes, ports from 7100, a fresh temporary directory. */
    public static Builder builder()
    {
        return new Builder();
    }

    /**
     * Starts every node process.
     *
     * @return this.
     */
    public LocalCluster start()
    {
        for (int i = 0; i < size; i++)
        {
            startNode(i);
        }
        return this;
    }

    /**
     * Called when a node's process has exited. One this class stopped or killed is no longer in
     * {@link #processes} and is left alone; any other exit is the node's own or a signal from
     * outside, and the restart policy decides.
     */
    private void exited(final int index, final Process process)
    {
        if (closing || processes.get(index) != process || restart == Restart.NEVER)
        {
            return;
        }
        final int code = process.exitValue();
        if (code == RookeryNode.EXIT_RESTART)
        {
            System.out.println("local: " + nodeId(index) + " stopped to be restarted; starting it again");
            restarter.execute(() -> restartIfStill(index, process));
        }
        else if (restart == Restart.ON_FAILURE && code != 0 && code != EXIT_SIGTERM && code != EXIT_SIGINT)
        {
            System.out.println("local: " + nodeId(index) + " exited with code " + code + " (crashed or killed); " +
                "starting it again in " + restartDelay.toMillis() + " ms (--restart=never keeps it down)");
            restarter.schedule(() -> restartIfStill(index, process), restartDelay.toMillis(), TimeUnit.MILLISECONDS);
        }
        else
        {
            System.out.println("local: " + nodeId(index) + " exited with code " + code + "; it stays down");
        }
    }

    private synchronized void restartIfStill(final int index, final Process exited)
    {
        if (!closing && processes.get(index) == exited)
        {
            try
            {
                startNode(index);
            }
            catch (final RuntimeException ex)
            {
                System.out.println("local: cannot start " + nodeId(index) + " again: " + ex.getMessage());
            }
        }
    }

    /**
     * @param index node index.
     * @return the node id.
     */
    public String nodeId(final int index)
    {
        return "n" + (index + 1);
    }

    /** @return number of nodes. */
    public int size()
    {
        return size;
    }

    /** @return the cluster's directory. */
    public Path directory()
    {
        return dir;
    }

    /**
     * @param index node index.
     * @return {@code host:port} of the node's HTTP endpoint.
     */
    public String httpEndpoint(final int index)
    {
        return host(index) + ":" + port(index, 3);
    }

    /**
     * @param index node index.
     * @return the address the node binds.
     */
    public String host(final int index)
    {
        return hosts.apply(index);
    }

    /**
     * @param index node index.
     * @return {@code host:port} of the node's gossip endpoint.
     */
    public String gossipEndpoint(final int index)
    {
        return host(index) + ":" + port(index, 0);
    }

    /**
     * @param index node index.
     * @return the node's log file.
     */
    public Path logFile(final int index)
    {
        return dir.resolve(nodeId(index) + ".log");
    }

    /**
     * @param index node index.
     * @return the node's process, or null when stopped.
     */
    public Process process(final int index)
    {
        return processes.get(index);
    }

    /**
     * @param index node index.
     * @return whether the node's process is alive.
     */
    public boolean isRunning(final int index)
    {
        final Process process = processes.get(index);
        return process != null && process.isAlive();
    }

    /**
     * Starts (or restarts) one node's process on its ports and data directory.
     *
     * @param index node index.
     */
    public synchronized void startNode(final int index)
    {
        if (isRunning(index))
        {
            throw new IllegalStateException(nodeId(index) + " is running");
        }
        final List<String> command = new ArrayList<>(commandPrefixes.apply(index));
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmArgs);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(MAIN);
        command.add("node");
        command.add("--id=" + nodeId(index));
        command.add("--host=" + host(index));
        command.add("--gossip-port=" + port(index, 0));
        command.add("--raft-port=" + port(index, 1));
        command.add("--aeron-port=" + port(index, 2));
        command.add("--http-port=" + port(index, 3));
        command.add("--data-dir=" + dataDir(index));
        command.add("--aeron-dir=" + aeronDir(index));
        if (joiners.contains(index))
        {
            final List<String> seeds = new ArrayList<>();
            for (int i = 0; i < size; i++)
            {
                if (i != index)
                {
                    seeds.add(gossipEndpoint(i));
                }
            }
            command.add("--join=" + String.join(",", seeds));
        }
        else
        {
            command.add("--initial-members=" + initialMembers());
        }
        command.addAll(nodeArgs);
        try
        {
            Files.createDirectories(dir);
            final ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile(index).toFile()));
            final Process process = builder.start();
            processes.set(index, process);
            process.onExit().thenAccept(p -> exited(index, p));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot start " + nodeId(index), ex);
        }
    }

    /**
     * Starts a stopped node as a new one: its data directory is wiped and it joins the running
     * cluster through gossip (not as an initial member), as a replacement host would.
     *
     * @param index node index.
     */
    public void startNodeAfresh(final int index)
    {
        if (isRunning(index))
        {
            throw new IllegalStateException(nodeId(index) + " is running");
        }
        TestCluster.deleteRecursively(dataDir(index));
        TestCluster.deleteRecursively(Path.of(aeronDir(index)));
        joiners.add(index);
        startNode(index);
    }

    /**
     * Stops one node gracefully (SIGTERM), escalating to SIGKILL after the timeout.
     *
     * @param index   node index.
     * @param timeout grace period.
     */
    public void stopNode(final int index, final Duration timeout)
    {
        final Process process = processes.getAndSet(index, null);
        if (process == null)
        {
            return;
        }
        process.destroy();
        try
        {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS))
            {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    /**
     * Kills one node with SIGKILL, as a crash would.
     *
     * @param index node index.
     */
    public void killNode(final int index)
    {
        final Process process = processes.getAndSet(index, null);
        if (process == null)
        {
            return;
        }
        process.destroyForcibly();
        try
        {
            process.waitFor(10, TimeUnit.SECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Waits until every running node answers {@code /ready} with 200.
     *
     * @param timeout how long to wait.
     * @throws IllegalStateException naming the nodes that are not ready, with their log's tail.
     */
    public void awaitReady(final Duration timeout)
    {
        final long deadlineNs = System.nanoTime() + timeout.toNanos();
        while (true)
        {
            final List<String> notReady = new ArrayList<>();
            for (int i = 0; i < size; i++)
            {
                if (processes.get(i) == null)
                {
                    continue;
                }
                if (!processes.get(i).isAlive())
                {
                    throw new IllegalStateException(nodeId(i) + " exited with " + processes.get(i).exitValue() +
                        "\n" + tail(logFile(i), 40));
                }
                if (!isReady(i))
                {
                    notReady.add(nodeId(i));
                }
            }
            if (notReady.isEmpty())
            {
                return;
            }
            if (System.nanoTime() - deadlineNs > 0)
            {
                final StringBuilder message = new StringBuilder("not ready within " + timeout + ": " + notReady);
                for (int i = 0; i < size; i++)
                {
                    if (notReady.contains(nodeId(i)))
                    {
                        message.append("\n--- ").append(nodeId(i)).append(" log tail ---\n")
                            .append(tail(logFile(i), 30));
                    }
                }
                throw new IllegalStateException(message.toString());
            }
            sleep(200);
        }
    }

    /**
     * @param index node index.
     * @return whether the node answers {@code /ready} with 200.
     */
    public boolean isReady(final int index)
    {
        try
        {
            final HttpResponse<String> response = http.send(
                HttpRequest.newBuilder(URI.create(scheme + httpEndpoint(index) + "/ready"))
                    .timeout(Duration.ofSeconds(2)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200;
        }
        catch (final IOException ex)
        {
            return false;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Stops every node and removes the data directories (unless told to keep them) and the Aeron
     * directories.
     */
    public void close()
    {
        closing = true;
        if (restarter != null)
        {
            restarter.shutdownNow();
        }
        for (int i = 0; i < size; i++)
        {
            final Process process = processes.get(i);
            if (process != null)
            {
                process.destroy();
            }
        }
        for (int i = 0; i < size; i++)
        {
            stopNode(i, Duration.ofSeconds(20));
            TestCluster.deleteRecursively(Path.of(aeronDir(i)));
        }
        if (deleteOnClose)
        {
            TestCluster.deleteRecursively(dir);
        }
    }

    /**
     * @param file a log file.
     * @param lines how many lines from its end.
     * @return those lines.
     */
    public static String tail(final Path file, final int lines)
    {
        try
        {
            if (!Files.exists(file))
            {
                return "(no log)";
            }
            final List<String> all = Files.readAllLines(file);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        }
        catch (final IOException ex)
        {
            return "(cannot read " + file + ": " + ex.getMessage() + ")";
        }
    }

    private String initialMembers()
    {
        final List<String> members = new ArrayList<>();
        for (int i = 0; i < size; i++)
        {
            members.add(nodeId(i) + "@" + host(i) + ":" + port(i, 0));
        }
        return String.join(",", members);
    }

    private int port(final int index, final int offset)
    {
        return basePort + 10 * index + offset;
    }

    private Path dataDir(final int index)
    {
        return dir.resolve(nodeId(index));
    }

    private String aeronDir(final int index)
    {
        final String base = Files.isDirectory(Path.of("/dev/shm")) ? "/dev/shm" : System.getProperty("java.io.tmpdir");
        return base + File.separator + "rookery-aeron-" +
            Long.toHexString(Hashing.hash64(dataDir(index).toAbsolutePath().toString()));
    }

    private static void sleep(final long millis)
    {
        try
        {
            Thread.sleep(millis);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", ex);
        }
    }

    /**
     * Settings of a local cluster.
     */
    public static final class Builder
    {
        private int nodes = 3;
        private int basePort = 7100;
        private IntFunction<String> hosts = i -> "127.0.0.1";
        private IntFunction<List<String>> commandPrefixes = i -> List.of();
        private Path dir;
        private boolean deleteOnClose = true;
        private final List<String> jvmArgs = new ArrayList<>(List.of(
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-opens", "java.base/java.nio=ALL-UNNAMED",
            "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
            RookeryNode.COMMON_POOL_FLAG,
            "-XX:+UseSerialGC", "-Xms64m", "-Xmx512m", "-XX:MaxDirectMemorySize=512m"));
        private final List<String> nodeArgs = new ArrayList<>();
        private Restart restart = Restart.NEVER;
        private Duration restartDelay = Duration.ofSeconds(5);
        private Path tlsCa;

        /**
         * @param ca PEM CA certificate the nodes' HTTPS certificates are signed by: readiness is
         *           then asked over HTTPS (the nodes get their TLS options through {@link #nodeArgs}).
         * @return this.
         */
        public Builder tlsCa(final Path ca)
        {
            this.tlsCa = ca;
            return this;
        }

        /**
         * @param policy what happens to a node that exits by itself (default {@link Restart#NEVER}).
         * @param delay  how long after a crash it is started again, under {@link Restart#ON_FAILURE}.
         * @return this.
         */
        public Builder restart(final Restart policy, final Duration delay)
        {
            this.restart = policy;
            this.restartDelay = delay;
            return this;
        }

        /**
         * @param count number of nodes (default 3).
         * @return this.
         */
        public Builder nodes(final int count)
        {
            this.nodes = count;
            return this;
        }

        /**
         * @param port first port; node i uses basePort + 10i + 0..3 (default 7100).
         * @return this.
         */
        public Builder basePort(final int port)
        {
            this.basePort = port;
            return this;
        }

        /**
         * @param host address the nodes bind (default 127.0.0.1).
         * @return this.
         */
        public Builder host(final String host)
        {
            this.hosts = i -> host;
            return this;
        }

        /**
         * @param hosts address of each node by index (for nodes in their own network namespaces).
         * @return this.
         */
        public Builder hosts(final IntFunction<String> hosts)
        {
            this.hosts = hosts;
            return this;
        }

        /**
         * @param prefixes command run in front of each node's java command, by index (for example
         *                 {@code ip netns exec rk-n1}).
         * @return this.
         */
        public Builder commandPrefixes(final IntFunction<List<String>> prefixes)
        {
            this.commandPrefixes = prefixes;
            return this;
        }

        /**
         * @param dir directory of data and logs (default: a new temporary one).
         * @param delete whether {@link LocalCluster#close()} deletes it.
         * @return this.
         */
        public Builder directory(final Path dir, final boolean delete)
        {
            this.dir = dir;
            this.deleteOnClose = delete;
            return this;
        }

        /**
         * @param args extra JVM arguments of every node.
         * @return this.
         */
        public Builder jvmArgs(final List<String> args)
        {
            jvmArgs.addAll(args);
            return this;
        }

        /**
         * @param args extra {@code rookery node} arguments of every node.
         * @return this.
         */
        public Builder nodeArgs(final List<String> args)
        {
            nodeArgs.addAll(args);
            return this;
        }

        /**
         * @return the cluster, not started yet.
         */
        public LocalCluster build()
        {
            if (dir == null)
            {
                try
                {
                    dir = Files.createTempDirectory("rookery-local-");
                }
                catch (final IOException ex)
                {
                    throw new UncheckedIOException(ex);
                }
            }
            return new LocalCluster(this);
        }
    }
}
