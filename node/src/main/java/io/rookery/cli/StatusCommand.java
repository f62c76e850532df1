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
        print(reply.json());
        return 0;
    }

    static void print(final JsonNode cluster)
    {
        System.out.printf("cluster %s as seen by %s: %d partitions, %d replicas each%n",
            cluster.get("clusterId").asText(), cluster.get("node").asText(), cluster.get("partitionCount").asInt(),
            cluster.get("replicationFactor").asInt());
        System.out.printf("%-10s %-9s %-22s %-6s%n", "MEMBER", "STATE", "HTTP", "LEADS");
        for (final JsonNode m : cluster.get("members"))
        {
            System.out.printf("%-10s %-9s %-22s %-6d%n", m.get("nodeId").asText(), m.get("state").asText(),
                m.get("http").asText(), m.get("leads").asInt());
        }
        System.out.printf("%-9s %-10s %-6s %-10s %s%n", "PARTITION", "LEADER", "TERM", "COMMIT", "REPLICAS (lag)");
        for (final JsonNode p : cluster.get("partitions"))
        {
            final StringBuilder replicas = new StringBuilder();
            for (final JsonNode r : p.get("replicas"))
            {
                replicas.append(r.get("nodeId").asText());
                if (r.get("lag").asLong() >= 0)
                {
                    replicas.append('(').append(r.get("lag").asLong()).append(')');
                }
                replicas.append(' ');
            }
            System.out.printf("%-9d %-10s %-6d %-10d %s%n", p.get("partition").asInt(),
                p.get("leader").isNull() ? "-" : p.get("leader").asText(), p.get("term").asLong(),
                p.get("commitIndex").asLong(), replicas.toString().trim());
        }
    }
}
