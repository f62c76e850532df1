package io.rookery.cli;

import java.time.Duration;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code rookery drain <node>}: move every leadership off a node and its replicas wherever another
 * node can take them, then (with {@code --stop}) stop it. Exit 0 when drained, 1 when the timeout
 * passed first, 2 when the cluster could not be reached, 3 when the node refused: its departure
 * would cost a group its majority (see {@code --force}).
 */
@Command(name = "drain", mixinStandardHelpOptions = true,
    description = "Move leaderships and replicas off a node, then optionally stop it.")
final class DrainCommand implements Callable<Integer>
{
    /** Exit code of a drain the node refused. */
    static final int EXIT_REFUSED = 3;

    @Parameters(index = "0", description = "Id of the node to drain.")
    String nodeId;

    @Option(names = "--via", defaultValue = "127.0.0.1:7103", description = "HTTP endpoint of any node.")
    String via;

    @Option(names = "--stop", description = "Stop the node once it is drained.")
    boolean stop;

    @Option(names = "--force", description = "Drain even when a group would be left without a majority.")
    boolean force;

    @Option(names = "--json", description = "Print no progress, only the final drain status as JSON.")
    boolean json;

    @Option(names = "--timeout-s", defaultValue = "600", description = "Give up after this many seconds.")
    long timeoutSeconds;

    public Integer call() throws Exception
    {
        final Http http = new Http(Duration.ofSeconds(10), null);
        final String endpoint;
        try
        {
            endpoint = endpointOf(http.get(via, "/cluster").json());
        }
        catch (final java.io.IOException ex)
        {
            System.err.println("cannot reach " + via + ": " + ex.getMessage());
            return Main.EXIT_USAGE;
        }
        if (endpoint == null)
        {
            System.err.println("no live member '" + nodeId + "' in the cluster seen by " + via);
            return Main.EXIT_USAGE;
        }
        return drain(http, endpoint, nodeId, new Options(timeoutSeconds, stop, force, json));
    }

    /**
     * How to drain.
     *
     * @param timeoutSeconds give up after this long.
     * @param stop           stop the node once drained.
     * @param force          drain even when a group would lose its majority.
     * @param json           print only the final status, as JSON.
     */
    record Options(long timeoutSeconds, boolean stop, boolean force, boolean json)
    {
    }

    /**
     * Drains the node at an HTTP endpoint and waits until it leads and serves nothing and its
     * replicas are wherever they can go.
     */
    static int drain(final Http http, final String endpoint, final String nodeId, final Options options)
        throws Exception
    {
        return drain(http, endpoint, nodeId, options, System.out);
    }

    static int drain(final Http http, final String endpoint, final String nodeId, final Options options,
        final java.io.PrintStream out) throws Exception
    {
        final Http.Reply started = http.post(endpoint, "/admin/drain" + (options.force() ? "?force=true" : ""), "");
        if (started.status() == 409)
        {
            if (options.json())
            {
                out.println(started.body());
            }
            else
            {
                System.err.println("rookery drain: refused: " + started.json().path("error").asText());
            }
            return EXIT_REFUSED;
        }
        if (!options.json())
        {
            out.println("draining " + nodeId + " (" + endpoint + ")");
        }
        final long deadlineNs = System.nanoTime() + Duration.ofSeconds(options.timeoutSeconds()).toNanos();
        String last = "";
        boolean drained;
        while (true)
        {
            final JsonNode status = http.get(endpoint, "/admin/drain").json();
            final String line = String.format("  group replicas hosted: %d (still moving: %s), groups led: %d, " +
                    "partitions served: %d", status.get("hostedGroups").asInt(), status.get("replicasMoving"),
                status.get("ledGroups").asInt(), status.get("servedPartitions").asInt());
            if (!line.equals(last) && !options.json())
            {
                out.println(line);
                last = line;
            }
            drained = status.get("drained").asBoolean();
            if (drained || System.nanoTime() - deadlineNs > 0)
            {
                break;
            }
            Thread.sleep(1000);
        }
        final JsonNode done = http.get(endpoint, "/admin/drain").json();
        if (drained && options.stop())
        {
            http.post(endpoint, "/admin/shutdown", "");
        }
        if (options.json())
        {
            final java.util.Map<String, Object> view = new java.util.LinkedHashMap<>();
            view.put("status", done);
            view.put("drained", drained);
            view.put("stopping", drained && options.stop());
            out.println(new String(io.rookery.api.Codecs.toJson(view), java.nio.charset.StandardCharsets.UTF_8));
        }
        else if (!drained)
        {
            System.err.println("not drained within " + options.timeoutSeconds() + " s");
        }
        else
        {
            out.println(nodeId + " is drained" + (done.get("underReplicatedWhenStopped").isEmpty() ? "" :
                "; groups that run on one replica fewer while it is away: " + done.get("underReplicatedWhenStopped")));
            if (options.stop())
            {
                out.println(nodeId + " is stopping");
            }
        }
        return drained ? 0 : Main.EXIT_CHECK_FAILED;
    }

    /**
     * {@code rookery drain-local}: drain the node running on this host (for systemd's ExecStop and
     * Kubernetes' preStop), found at {@code ROOKERY_HOST}:{@code ROOKERY_HTTP_PORT}.
     */
    @Command(name = "drain-local", mixinStandardHelpOptions = true,
        description = "Drain the node on this host (endpoint from ROOKERY_HOST and ROOKERY_HTTP_PORT).")
    static final class Local implements Callable<Integer>
    {
        @Option(names = "--endpoint", description = "HTTP endpoint of the node (default: host and http-port as "
            + "the node sees them: ROOKERY_HOST/ROOKERY_HTTP_PORT, else the config file).")
        String endpoint;

        @Option(names = "--config", description = "The node's config file (default: ROOKERY_CONFIG).")
        String config;

        @Option(names = "--stop", description = "Stop the node once it is drained.")
        boolean stop;

        @Option(names = "--timeout-s", defaultValue = "300", description = "Give up after this many seconds.")
        long timeoutSeconds;

        @Option(names = "--force", description = "Drain even when a group would be left without a majority.")
        boolean force;

        @Option(names = "--json", description = "Print no progress, only the final drain status as JSON.")
        boolean json;

        public Integer call() throws Exception
        {
            final String target;
            try
            {
                target = endpoint != null ? endpoint : localEndpoint(config, System.getenv());
            }
            catch (final IllegalArgumentException ex)
            {
                System.err.println("rookery drain-local: " + ex.getMessage());
                return Main.EXIT_USAGE;
            }
            final Http http = new Http(Duration.ofSeconds(10), null);
            try
            {
                return drain(http, target, http.get(target, "/health").json().get("node").asText(),
                    new Options(timeoutSeconds, stop, force, json));
            }
            catch (final java.io.IOException ex)
            {
                System.err.println("cannot reach " + target + ": " + ex.getMessage());
                return Main.EXIT_USAGE;
            }
        }
    }

    /**
     * The HTTP endpoint of the node on this machine, from the settings it was started with.
     *
     * @param config      a config file given on the command line, or null for ROOKERY_CONFIG.
     * @param environment the process environment.
     * @return host:port.
     */
    static String localEndpoint(final String config, final java.util.Map<String, String> environment)
    {
        final ConfigDefaults settings = ConfigDefaults.load(
            config == null ? new String[0] : new String[] {"--config", config}, environment);
        final String host = settings.setting("host");
        final String port = settings.setting("http-port");
        return (host == null ? "127.0.0.1" : host) + ":" + (port == null || port.equals("0") ? "7103" : port);
    }

    private String endpointOf(final JsonNode cluster)
    {
        for (final JsonNode member : cluster.get("members"))
        {
            if (member.get("nodeId").asText().equals(nodeId))
            {
                return member.get("http").asText();
            }
        }
        return null;
    }
}
