package io.rookery.cli;

import java.time.Duration;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code rookery drain <node>}: move every leadership and replica off a node, then (with
 * {@code --stop}) stop it. Exit 0 when drained, 1 when the timeout passed first, 2 when the
 * cluster could not be reached.
 */
@Command(name = "drain", mixinStandardHelpOptions = true,
    description = "Move leaderships and replicas off a node, then optionally stop it.")
final class DrainCommand implements Callable<Integer>
{
    @Parameters(index = "0", description = "Id of the node to drain.")
    String nodeId;

    @Option(names = "--via", defaultValue = "127.0.0.1:7103", description = "HTTP endpoint of any node.")
    String via;

    @Option(names = "--stop", description = "Stop the node once it is drained.")
    boolean stop;

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
        return drain(http, endpoint, nodeId, timeoutSeconds, stop);
    }

    /**
     * Drains the node at an HTTP endpoint and waits until it holds no replica and no leadership.
     */
    static int drain(final Http http, final String endpoint, final String nodeId, final long timeoutSeconds,
        final boolean stop) throws Exception
    {
        http.post(endpoint, "/admin/drain", "");
        System.out.println("draining " + nodeId + " (" + endpoint + ")");
        final long deadlineNs = System.nanoTime() + Duration.ofSeconds(timeoutSeconds).toNanos();
        String last = "";
        while (true)
        {
            final JsonNode status = http.get(endpoint, "/admin/drain").json();
            final String line = String.format("  replicas still hosted: %d, leaderships still held: %d",
                status.get("hostedPartitions").asInt(), status.get("ledPartitions").asInt());
            if (!line.equals(last))
            {
                System.out.println(line);
                last = line;
            }
            if (status.get("drained").asBoolean())
            {
                break;
            }
            if (System.nanoTime() - deadlineNs > 0)
            {
                System.err.println("not drained within " + timeoutSeconds + " s");
                return Main.EXIT_CHECK_FAILED;
            }
            Thread.sleep(1000);
        }
        System.out.println(nodeId + " is drained");
        if (stop)
        {
            http.post(endpoint, "/admin/shutdown", "");
            System.out.println(nodeId + " is stopping");
        }
        return 0;
    }

    /**
     * {@code rookery drain-local}: drain the node running on this host (for systemd's ExecStop and
     * Kubernetes' preStop), found at {@code ROOKERY_HOST}:{@code ROOKERY_HTTP_PORT}.
     */
    @Command(name = "drain-local", mixinStandardHelpOptions = true,
        description = "Drain the node on this host (endpoint from ROOKERY_HOST and ROOKERY_HTTP_PORT).")
    static final class Local implements Callable<Integer>
    {
        @Option(names = "--endpoint", description = "HTTP endpoint of the node (default: from the environment).")
        String endpoint;

        @Option(names = "--stop", description = "Stop the node once it is drained.")
        boolean stop;

        @Option(names = "--timeout-s", defaultValue = "300", description = "Give up after this many seconds.")
        long timeoutSeconds;

        public Integer call() throws Exception
        {
            final String target = endpoint != null ? endpoint :
                System.getenv().getOrDefault("ROOKERY_HOST", "127.0.0.1") + ":" +
                System.getenv().getOrDefault("ROOKERY_HTTP_PORT", "7103");
            final Http http = new Http(Duration.ofSeconds(10), null);
            try
            {
                return drain(http, target, http.get(target, "/health").json().get("node").asText(), timeoutSeconds,
                    stop);
            }
            catch (final java.io.IOException ex)
            {
                System.err.println("cannot reach " + target + ": " + ex.getMessage());
                return Main.EXIT_USAGE;
            }
        }
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
