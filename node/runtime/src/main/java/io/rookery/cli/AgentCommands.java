package io.rookery.cli;

import java.time.Duration;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code rookery ask} and {@code rookery state}: talk to agents from the shell. Exit code 0 on
 * success, 1 when the node answered with an error (printed on stderr), 2 when it was unreachable.
 */
final class AgentCommands
{
    private AgentCommands()
    {
    }

    /**
     * A command about one agent: which node to ask, the agent's type and key.
     */
    abstract static class OneAgent implements Callable<Integer>
    {
        @Option(names = "--node", defaultValue = "127.0.0.1:7103", description = "HTTP endpoint of any node.")
        String node;

        @Parameters(index = "0", description = "Agent type.")
        String type;

        @Parameters(index = "1", description = "Agent key.")
        String key;

        /** @return the agent's path in the HTTP API. */
        String path()
        {
            return Http.agentPath(type, key);
        }
    }

    /**
     * A message posted to an agent; ask and tell differ only in the query the ingress reads.
     */
    abstract static class PostMessage extends OneAgent
    {
        @Parameters(index = "2", description = "Message (JSON).")
        String message;

        abstract String query();

        public Integer call()
        {
            return AgentCommands.call(() ->
                new Http(Duration.ofSeconds(15), null).post(node, path() + query(), message));
        }
    }

    @Command(name = "ask", mixinStandardHelpOptions = true,
        description = "Send a message to an agent, print the reply.")
    static final class Ask extends PostMessage
    {
        String query()
        {
            return "";
        }
    }

    @Command(name = "tell", mixinStandardHelpOptions = true,
        description = "Deliver a message to an agent; returns once its turn committed.")
    static final class Tell extends PostMessage
    {
        String query()
        {
            return "?mode=tell";
        }
    }

    @Command(name = "state", mixinStandardHelpOptions = true, description = "Print an agent's committed state.")
    static final class State extends OneAgent
    {
        public Integer call()
        {
            return AgentCommands.call(() -> new Http(Duration.ofSeconds(15), null).get(node, path()));
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true,
        description = "Delete an agent's state: it leaves lists and counts, and starts again from its initial state.")
    static final class Delete extends OneAgent
    {
        public Integer call()
        {
            return AgentCommands.call(() ->
            {
                final Http.Reply reply = new Http(Duration.ofSeconds(15), null).delete(node, path());
                return reply.status() == 204 ? new Http.Reply(200, "deleted " + type + "/" + key) : reply;
            });
        }
    }

    private interface HttpCall
    {
        Http.Reply call() throws Exception;
    }

    private static int call(final HttpCall call)
    {
        try
        {
            final Http.Reply reply = call.call();
            if (reply.status() == 200 || reply.status() == 202)
            {
                System.out.println(reply.body());
                return 0;
            }
            System.err.println("HTTP " + reply.status() + ": " + reply.body());
            return Main.EXIT_CHECK_FAILED;
        }
        catch (final Exception ex)
        {
            System.err.println("request failed: " + ex.getMessage());
            return Main.EXIT_USAGE;
        }
    }
}
