package io.rookery.cli;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code rookery restart}: a rolling restart of a running cluster, one node at a time: drain it
 * (leaderships away, no election seen by clients), ask it to stop to be started again, wait until
 * its supervisor ({@code rookery local}, systemd, Kubernetes) has it back and ready, then the next.
 * The upgrade procedure: install the new build, then restart.
 */
@Command(name = "restart", mixinStandardHelpOptions = true,
    description = "Rolling restart: drain, stop, start and wait ready, node by node (needs a supervisor that "
        + "restarts a node asking for it: rookery local, the systemd unit or Kubernetes).")
public final class RestartCommand implements Callable<Integer>
{
    @Option(names = "--via", defaultValue = "127.0.0.1:7103", description = "HTTP endpoint of any node.")
    String via;

    @Option(names = "--timeout-s", defaultValue = "180",
        description = "Give up on a node not drained, or not back and ready, within this many seconds.")
    long timeoutSeconds;

    public Integer call() throws Exception
    {
        final Http http = new Http(Duration.ofSeconds(10), null);
        final List<String[]> members;
        try
        {
            members = members(http.get(via, "/cluster").json());
        }
        catch (final java.io.IOException ex)
        {
            System.err.println("cannot reach " + via + ": " + ex.getMessage());
            return Main.EXIT_USAGE;
        }
        final long start = System.nanoTime();
        for (final String[] member : members)
        {
            final int code = restart(http, member[0], member[1], Duration.ofSeconds(timeoutSeconds),
                System.out);
            if (code != 0)
            {
                System.err.println("rolling restart stopped at " + member[0] + "; the nodes before it were restarted");
                return code;
            }
        }
        System.out.printf("rolling restart of %d nodes done in %.1f s%n", members.size(),
            (System.nanoTime() - start) / 1e9);
        return 0;
    }

    /**
     * @return id and HTTP endpoint of every live member, in id order.
     */
    static List<String[]> members(final JsonNode cluster)
    {
        final List<String[]> members = new ArrayList<>();
        for (final JsonNode m : cluster.get("members"))
        {
            members.add(new String[] {m.get("nodeId").asText(), m.get("http").asText()});
        }
        members.sort((a, b) -> a[0].compareTo(b[0]));
        return members;
    }

    /**
     * Restarts one node: drain, stop asking to be restarted, wait for it to go and come back ready.
     *
     * @param nodeId   the node's id.
     * @param endpoint its HTTP endpoint.
     * @param timeout  for the drain, and for coming back ready.
     * @param out      where progress goes.
     * @return 0 when it is back and ready, else the drain's exit code or {@link Main#EXIT_CHECK_FAILED}.
     * @throws Exception when interrupted or a node answers garbage.
     */
    public static int restart(final String nodeId, final String endpoint, final Duration timeout,
        final PrintStream out) throws Exception
    {
        return restart(new Http(Duration.ofSeconds(10), null), nodeId, endpoint, timeout, out);
    }

    static int restart(final Http http, final String nodeId, final String endpoint, final Duration timeout,
        final PrintStream out) throws Exception
    {
        final long start = System.nanoTime();
        out.println("restarting " + nodeId + " (" + endpoint + ")");
        final int drained = DrainCommand.drain(http, endpoint, nodeId,
            new DrainCommand.Options(timeout.toSeconds(), false, false, false), out);
        if (drained != 0)
        {
            return drained;
        }
        http.post(endpoint, "/admin/shutdown?restart=true", "");
        final long deadline = System.nanoTime() + timeout.toNanos();
        boolean wentDown = false;
        while (!wentDown && System.nanoTime() < deadline)
        {
            wentDown = !answers(http, endpoint, "/health");
            Thread.sleep(100);
        }
        boolean ready = false;
        while (wentDown && !ready && System.nanoTime() < deadline)
        {
            ready = answers(http, endpoint, "/ready");
            if (!ready)
            {
                Thread.sleep(250);
            }
        }
        if (!ready)
        {
            out.println(nodeId + (wentDown ? " did not come back ready" : " did not stop") + " within " +
                timeout.toSeconds() + " s");
            return Main.EXIT_CHECK_FAILED;
        }
        out.printf("%s is back and ready after %.1f s%n", nodeId, (System.nanoTime() - start) / 1e9);
        return 0;
    }

    private static boolean answers(final Http http, final String endpoint, final String path)
    {
        try
        {
            return http.get(endpoint, path).status() == 200;
        }
        catch (final java.io.IOException ex)
        {
            return false;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
