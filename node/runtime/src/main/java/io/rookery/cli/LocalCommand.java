package io.rookery.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code rookery local}: N peer nodes as separate processes on this machine, until Ctrl-C.
 */
@Command(name = "local", mixinStandardHelpOptions = true,
    description = "Run N peer nodes as separate OS processes on this machine until Ctrl-C.")
final class LocalCommand implements Callable<Integer>
{
    /** The bundle of example agents shipped with Rookery. */
    static final String EXAMPLES = "rookery-examples.jar";

    @Option(names = "--nodes", defaultValue = "3", description = "Number of nodes (default: ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--base-port", defaultValue = "7100",
        description = "Node i uses base+10i+0..3 for gossip, raft, aeron, http (default: ${DEFAULT-VALUE}).")
    int basePort;

    @Option(names = "--dir", description = "Data and log directory (default: a temporary one, deleted on exit).")
    Path dir;

    @Option(names = "--restart", defaultValue = "on-failure", converter = RestartConverter.class,
        description = "What happens to a node that exits by itself: on-failure (a crashed or killed node is " +
            "started again after 5 s, as the systemd unit does; one that asks, in a rolling restart, at once), " +
            "on-request (only the latter) or never (default: ${DEFAULT-VALUE}).")
    LocalCluster.Restart restart;

    @Option(names = "--examples", negatable = true, defaultValue = "true", fallbackValue = "true",
        description = "Deploy the example agents (counter, account, ...) once the nodes are ready " +
            "(default: ${DEFAULT-VALUE}).")
    boolean examples;

    @Option(names = "--secure",
        description = "HTTPS only, with a CA and certificate made for this cluster (ca.pem), and a bearer token " +
            "asked of every caller (admin.token, client.token), all written into the directory, which it prints. " +
            "(Raft, Aeron and gossip are not protected yet.)")
    boolean secure;

    public Integer call() throws Exception
    {
        final LocalCluster.Builder builder = LocalCluster.builder().nodes(nodes).basePort(basePort)
            .restart(restart, Duration.ofSeconds(5));
        final Path home = dir != null ? dir : secure ? Files.createTempDirectory("rookery-local-") : null;
        if (home != null)
        {
            builder.directory(home, dir == null);
        }
        String adminToken = null;
        LocalCertificates certificates = null;
        if (secure)
        {
            Files.createDirectories(home);
            adminToken = newToken();
            final String clientToken = newToken();
            final Path tokens = writePrivate(home.resolve("tokens"),
                "# role token: read by every node (--token-file), again when it changes\n" +
                "admin " + adminToken + "\nclient " + clientToken + "\n");
            writePrivate(home.resolve("admin.token"), adminToken + "\n");
            writePrivate(home.resolve("client.token"), clientToken + "\n");
            final Path secret = writePrivate(home.resolve("cluster.secret"), newToken() + "\n");
            builder.nodeArgs(java.util.List.of("--token-file=" + tokens, "--cluster-secret-file=" + secret));
            certificates = LocalCertificates.create(home, 30);
            builder.nodeArgs(java.util.List.of("--tls-cert=" + certificates.cert(), "--tls-key=" + certificates.key(),
                "--tls-ca=" + certificates.ca()));
            builder.tlsCa(certificates.ca());
            System.out.println("secure: HTTPS only, with a CA made for this cluster: " + certificates.ca() +
                "   (export ROOKERY_CA_FILE=" + certificates.ca() + " for bin/rookery; curl --cacert " +
                certificates.ca() + " https://...)");
            System.out.println("  the nodes ask for bearer tokens (" + tokens + ")");
            System.out.println("  admin token:  " + home.resolve("admin.token") + "   (export ROOKERY_TOKEN_FILE=" +
                home.resolve("admin.token") + " for bin/rookery)");
            System.out.println("  client token: " + home.resolve("client.token") + "   (curl -H \"Authorization: " +
                "Bearer $(cat " + home.resolve("client.token") + ")\" ...)");
        }
        final LocalCluster cluster = builder.build();
        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
        {
            System.out.println("stopping " + nodes + " nodes...");
            cluster.close();
            stopped.countDown();
        }, "rookery-local-shutdown"));
        System.out.println("starting " + nodes + " nodes in " + cluster.directory());
        cluster.start();
        cluster.awaitReady(Duration.ofMinutes(2));
        for (int i = 0; i < nodes; i++)
        {
            System.out.printf("  %s  http=%s  gossip=%s  log=%s%n", cluster.nodeId(i), cluster.httpEndpoint(i),
                cluster.gossipEndpoint(i), cluster.logFile(i));
        }
        if (examples)
        {
            final String refused = DeployCommands.deployAndAwait(
                new Http(Duration.ofSeconds(30), null, secure ? adminToken : Http.token(),
                    secure ? certificates.ca() : Http.caFile()),
                cluster.httpEndpoint(0), DeployCommands.shippedBundle(EXAMPLES), 120);
            if (refused != null)
            {
                System.err.println("rookery: the example agents were not deployed: " + refused);
            }
            else
            {
                System.out.println("deployed the example agents (" + EXAMPLES + ")");
            }
        }
        System.out.println("ready; try: curl -XPOST -H 'Content-Type: application/json' " +
            (secure ? "-H \"Authorization: Bearer $(cat " + home.resolve("client.token") + ")\" --cacert " +
                certificates.ca() + " " : "") +
            "-d '{\"op\":\"increment\"}' " + (secure ? "https://" : "http://") + cluster.httpEndpoint(0) +
            "/agents/counter/hello   (Ctrl-C stops the cluster)");
        stopped.await();
        return 0;
    }

    private static String newToken()
    {
        final byte[] bytes = new byte[32];
        new java.security.SecureRandom().nextBytes(bytes);
        return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static Path writePrivate(final Path file, final String text) throws java.io.IOException
    {
        Files.writeString(file, text);
        LocalCertificates.restrict(file);
        return file;
    }

    /** Reads the policy as written on the command line: on-failure, on-request, never. */
    static final class RestartConverter implements CommandLine.ITypeConverter<LocalCluster.Restart>
    {
        @Override
        public LocalCluster.Restart convert(final String value)
        {
            try
            {
                return LocalCluster.Restart.valueOf(value.trim().toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
            }
            catch (final IllegalArgumentException ex)
            {
                throw new CommandLine.TypeConversionException(
                    "'" + value + "' is not a restart policy; use on-failure, on-request or never");
            }
        }
    }
}
