package io.rookery.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import io.rookery.node.RookeryNode;
import io.rookery.transport.IdleProfile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code rookery node}: run one peer node until SIGTERM or SIGINT, then leave gracefully.
 */
@Command(name = "node", mixinStandardHelpOptions = true,
    description = "Run one peer node in the foreground (stops gracefully on SIGTERM/SIGINT).")
final class NodeCommand implements Callable<Integer>
{
    private static final String[][] SETTING_NAMES = {
        {"node.partitions", "partitions"},
        {"node.replicationFactor", "replication"},
        {"node.nodeId", "id"},
        {"node.initialMembers", "initial-members"},
        {"node.stalledFollowerTimeout", "restart-stalled-follower-after-s"},
        {"node.partitionLoops", "loops"},
        {"node.dataDir", "data-dir"},
        {"node.clusterId", "cluster-id"},
    };

    @Option(names = "--id", description = "Node id (default: the one stored in the data dir, else generated).")
    String id;

    @Option(names = "--cluster-id", defaultValue = "rookery", description = "Cluster id (default: ${DEFAULT-VALUE}).")
    String clusterId;

    @Option(names = "--partitions", defaultValue = "256",
        description = "Partitions P, fixed at cluster creation (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--replication", defaultValue = "3", description = "Replicas of each Raft group R.")
    int replication;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind and advertise.")
    String host;

    @Option(names = "--gossip-port", defaultValue = "0", description = "Gossip TCP port (0: from initial members).")
    int gossipPort;

    @Option(names = "--raft-port", defaultValue = "0", description = "Raft TCP port (keep stable across restarts).")
    int raftPort;

    @Option(names = "--aeron-port", defaultValue = "0", description = "Aeron UDP port.")
    int aeronPort;

    @Option(names = "--http-port", defaultValue = "0", description = "HTTP port.")
    int httpPort;

    @Option(names = "--config", description = "Config file (Java properties; keys are these option names).")
    Path config;

    @Option(names = "--data-dir", description = "Data directory (required).")
    Path dataDir;

    @Option(names = "--aeron-dir", description = "Aeron media driver directory (default under /dev/shm).")
    String aeronDir;

    @Option(names = "--initial-members", split = ",",
        description = "id@host:gossipPort of every initial member, the same list on each.")
    List<String> initialMembers = new ArrayList<>();

    @Option(names = "--join", split = ",",
        description = "host:gossipPort of running nodes, for a node that joins later.")
    List<String> join = new ArrayList<>();

    @Option(names = "--plugins", description = "Directory of jars with more agent types.")
    Path plugins;

    @Option(names = "--idle", defaultValue = "polite", description = "Idle profile: polite or low-latency.")
    String idle;

    @Option(names = "--aeron-mtu", defaultValue = "0",
        description = "Aeron MTU in bytes, a multiple of 32 (0: 8192 on a loopback host, else 1408).")
    int aeronMtu;

    @Option(names = "--loops", defaultValue = "0",
        description = "Turn loops, each driving whole group replicas (0: one per core).")
    int loops;

    @Option(names = "--election-timeout-ms", defaultValue = "500",
        description = "Minimum Raft election timeout; the maximum is twice this.")
    long electionTimeoutMs;

    @Option(names = "--snapshot-threshold", defaultValue = "20000", description = "Entries between snapshots.")
    long snapshotThreshold;

    @Option(names = "--replace-after-s", defaultValue = "30",
        description = "Seconds a node may be gone before its replicas are replaced (default: ${DEFAULT-VALUE}).")
    long replaceAfterSeconds;

    @Option(names = "--restart-stalled-follower-after-s", defaultValue = "30",
        description = "Seconds a follower replica may hear from no leader without standing for election before " +
            "it is restarted; 0 turns the check off (default: ${DEFAULT-VALUE}).")
    long stalledFollowerSeconds;

    @Option(names = "--resend-after-ms", defaultValue = "1000",
        description = "Resend unacknowledged durable messages after this long (default: ${DEFAULT-VALUE}).")
    long resendAfterMs;

    @Option(names = "--idempotency-retention-s", defaultValue = "600",
        description = "Keep replies to requests with an Idempotency-Key this long (default: ${DEFAULT-VALUE}).")
    long idempotencyRetentionSeconds;

    @Option(names = "--token-file",
        description = "File of HTTP bearer tokens, '<admin|client> <token>' per line, read again when it changes. " +
            "Without it the HTTP API is open to anyone who can reach it.")
    Path tokenFile;

    @Option(names = "--cluster-secret-file", description = "File holding the cluster secret (at least 16 bytes): " +
        "gossip is sealed with it, and a node without it never becomes a member.")
    Path clusterSecretFile;

    @Option(names = "--tls-cert", description = "PEM certificate chain: serve HTTPS instead of HTTP (read " +
        "again when it changes).")
    Path tlsCert;

    @Option(names = "--tls-key", description = "PEM PKCS#8 private key of --tls-cert.")
    Path tlsKey;

    @Option(names = "--tls-ca", description = "PEM CA certificate the node trusts in its peers' HTTPS certificates.")
    Path tlsCa;

    @Option(names = "--metrics-open", defaultValue = "true", arity = "1",
        description = "Serve /metrics without a token (default: ${DEFAULT-VALUE}); false asks for an admin token.")
    boolean metricsOpen;

    @Option(names = "--bundle-retention-s", defaultValue = "60",
        description = "Seconds a replaced bundle version that no node runs agents on any more is kept, for a " +
            "rollback, before it is pruned (default: ${DEFAULT-VALUE}).")
    int bundleRetentionSeconds;

    @Option(names = "--max-concurrent-moves", defaultValue = "2",
        description = "Replica moves allowed at once across the cluster (default: ${DEFAULT-VALUE}).")
    int maxConcurrentMoves;

    public Integer call() throws Exception
    {
        if (dataDir == null)
        {
            System.err.println(
                "rookery: data-dir must be set (--data-dir, ROOKERY_DATA_DIR or data-dir in the config file)");
            return Main.EXIT_USAGE;
        }
        final RookeryNode node;
        final java.util.concurrent.atomic.AtomicReference<RookeryNode> started =
            new java.util.concurrent.atomic.AtomicReference<>();
        try
        {
            // A node stopped to be started again exits with EXIT_RESTART, for its supervisor.
            node = RookeryNode.start(context().onStopped(() -> System.exit(
                started.get() != null && started.get().restartRequested() ? RookeryNode.EXIT_RESTART : 0)));
            started.set(node);
        }
        catch (final IllegalArgumentException | IllegalStateException ex)
        {
            // A bad setting or a refused start (another cluster's data, a port in use): one line that
            // names the setting, not a stack trace.
            System.err.println("rookery node: " + settingNames(ex.getMessage()) +
                (ex.getCause() != null ? " (" + ex.getCause().getMessage() + ")" : ""));
            return Main.EXIT_USAGE;
        }
        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
        {
            node.close();
            stopped.countDown();
        }, "rookery-shutdown"));
        System.out.println("rookery node " + node.nodeId() + " ready: http=" + node.httpEndpoint() +
            " gossip=" + node.gossipAddress());
        stopped.await();
        return 0;
    }

    /** The runtime's names of settings in a message, as the command line and config file spell them. */
    static String settingNames(final String message)
    {
        if (message == null)
        {
            return "failed to start";
        }
        String text = message;
        for (final String[] name : SETTING_NAMES)
        {
            text = text.replace(name[0], name[1]);
        }
        return text;
    }

    RookeryNode.Context context()
    {
        final RookeryNode.Context ctx = new RookeryNode.Context()
            .nodeId(id)
            .clusterId(clusterId)
            .partitionCount(partitions)
            .replicationFactor(replication)
            .host(host)
            .gossipPort(gossipPort)
            .raftPort(raftPort)
            .aeronPort(aeronPort)
            .httpPort(httpPort)
            .dataDir(dataDir)
            .aeronDirectoryName(aeronDir)
            .initialMembers(initialMembers)
            .join(join)
            .pluginsDir(plugins)
            .idleProfile(IdleProfile.parse(idle))
            .aeronMtu(aeronMtu)
            .electionTimeout(Duration.ofMillis(electionTimeoutMs), Duration.ofMillis(2 * electionTimeoutMs))
            .snapshotThreshold(snapshotThreshold)
            .replacementGrace(Duration.ofSeconds(replaceAfterSeconds))
            .stalledFollowerTimeout(Duration.ofSeconds(stalledFollowerSeconds))
            .maxConcurrentMoves(maxConcurrentMoves)
            .resendAfter(Duration.ofMillis(resendAfterMs))
            .idempotencyRetention(Duration.ofSeconds(idempotencyRetentionSeconds))
            .bundleRetention(Duration.ofSeconds(bundleRetentionSeconds))
            .tokenFile(tokenFile)
            .clusterSecretFile(clusterSecretFile)
            .metricsOpen(metricsOpen);
        if ((tlsCert == null) != (tlsKey == null))
        {
            throw new IllegalArgumentException("--tls-cert and --tls-key go together");
        }
        if (tlsCert != null)
        {
            ctx.tls(tlsCert, tlsKey, tlsCa);
        }
        if (loops > 0)
        {
            ctx.partitionLoops(loops);
        }
        return ctx;
    }
}
