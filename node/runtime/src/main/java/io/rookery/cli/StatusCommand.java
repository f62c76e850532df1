package io.rookery.cli;

import java.time.Duration;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code rookery status}: the cluster as one node sees it, as a table.
 */
@Command(name = "status", mixinStandardHelpOptions = true, description = "Show members and partitions of a cluster.")
final class StatusCommand implements Callable<Integer>
{
    @Option(names = "--node", defaultValue = "127.0.0.1:7103", description = "HTTP endpoint of any node.")
    String node;

    @Option(names = "--json", description = "Print the cluster view as the node gives it (JSON), for scripts.")
    boolean json;

    public Integer call() throws Exception
    {
        final Http http = new Http(Duration.ofSeconds(5), null);
        final Http.Reply reply;
        try
        {
            reply = http.get(node, "/cluster");
        }
        catch (final java.io.IOException ex)
        {
            System.err.println("cannot reach " + node + ": " + ex.getMessage());
            return Main.EXIT_USAGE;
        }
        if (json)
        {
            System.out.println(reply.body());
            return reply.status() == 200 ? 0 : Main.EXIT_CHECK_FAILED;
        }
        print(reply.json());
        return 0;
    }

    static void print(final JsonNode cluster)
    {
        System.out.printf("cluster %s as seen by %s: %d partitions in %d Raft groups, %d replicas each%n",
            cluster.get("clusterId").asText(), cluster.get("node").asText(), cluster.get("partitionCount").asInt(),
            cluster.get("groups").size(), cluster.get("replicationFactor").asInt());
        System.out.printf("%-10s %-9s %-22s %-8s %s%n", "MEMBER", "STATE", "HTTP", "SERVES", "LEADS GROUPS");
        for (final JsonNode m : cluster.get("members"))
        {
            final StringBuilder groups = new StringBuilder();
            m.path("leadsGroups").forEach(g -> groups.append(g.asText()).append(' '));
            System.out.printf("%-10s %-9s %-22s %-8d %s%n", m.get("nodeId").asText(), m.get("state").asText(),
                m.get("http").asText(), m.get("leads").asInt(), groups.toString().trim());
        }
        System.out.printf("%-12s %-10s %-6s %-10s %-11s %s%n", "GROUP", "LEADER", "TERM", "COMMIT", "PARTITIONS",
            "REPLICAS (lag)");
        for (final JsonNode g : cluster.get("groups"))
        {
            final StringBuilder replicas = new StringBuilder();
            for (final JsonNode r : g.get("replicas"))
            {
                replicas.append(r.get("nodeId").asText());
                if (r.get("lag").asLong() >= 0)
                {
                    replicas.append('(').append(r.get("lag").asLong()).append(')');
                }
                replicas.append(' ');
            }
            String partitions = Integer.toString(g.get("partitionCount").asInt());
            if (g.path("handingOver").asInt() > 0 || g.path("adopting").asInt() > 0)
            {
                partitions += " -" + g.path("handingOver").asInt() + " +" + g.path("adopting").asInt();
            }
            System.out.printf("%-12s %-10s %-6d %-10d %-11s %s%s%n", g.get("name").asText(),
                g.get("leader").isNull() ? "-" : g.get("leader").asText(), g.get("term").asLong(),
                g.get("commitIndex").asLong(), partitions, replicas.toString().trim(),
                g.path("retired").asBoolean() ? " (retired)" : "");
        }
        final JsonNode moves = cluster.get("moves");
        System.out.printf("partition moves in progress: %d%n", moves == null ? 0 : moves.size());
        if (moves != null)
        {
            for (final JsonNode m : moves)
            {
                System.out.printf("  partition %d: %s -> %s (epoch %d)%n", m.get("partition").asInt(),
                    m.get("from").asText(), m.get("to").asText(), m.get("epoch").asLong());
            }
        }
    }
}
