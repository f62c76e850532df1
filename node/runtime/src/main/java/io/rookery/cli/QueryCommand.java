package io.rookery.cli;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;
import io.rookery.api.Codecs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code rookery query <type> [--where ...] [--count | --sum F | --min F | --max F] [--json]}: the
 * agents of a type that have state, filtered next to the data, or an aggregate over them. Exit
 * code 0 on success, 1 when the node refused the query (the reason on stderr), 2 when no node
 * answered.
 */
@Command(name = "query", mixinStandardHelpOptions = true,
    description = {"List the agents of a type that have state, or count them, or sum, min or max a numeric field.",
        "Conditions: field paths ($ for a state that is one value), = != < <= > >=, exists, and, or, not, (...).",
        "Examples: rookery query account --where 'balance > 100'   rookery query counter --sum '$'"})
final class QueryCommand implements Callable<Integer>
{
    @Option(names = "--via", defaultValue = "127.0.0.1:7103", description = "HTTP endpoint of any node.")
    String via;

    @Parameters(index = "0", description = "Agent type.")
    String type;

    @Option(names = "--where", description = "Condition on the state, e.g. \"status = 'open' and balance > 100\".")
    String where;

    @Option(names = "--count", description = "Print how many agents match.")
    boolean count;

    @Option(names = "--sum", paramLabel = "FIELD", description = "Count the matches and sum this numeric field.")
    String sum;

    @Option(names = "--min", paramLabel = "FIELD", description = "Count the matches and give this field's minimum.")
    String min;

    @Option(names = "--max", paramLabel = "FIELD", description = "Count the matches and give this field's maximum.")
    String max;

    @Option(names = "--limit", defaultValue = "1000",
        description = "Most agents to list, over as many pages as it takes (default: ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--page", defaultValue = "200", description = "Agents per page asked (default: ${DEFAULT-VALUE}).")
    int page;

    @Option(names = "--cursor", description = "Start from the cursor a previous listing printed.")
    String cursor;

    @Option(names = "--json", description = "Print JSON: the aggregate, or {\"agents\":[...],\"next\":cursor}.")
    boolean json;

    @Option(names = "--timeout", defaultValue = "60",
        description = "Seconds to wait per page (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    public Integer call()
    {
        final String field = sum != null ? sum : min != null ? min : max;
        final java.util.Set<String> fields = new java.util.HashSet<>();
        for (final String f : new String[] {sum, min, max})
        {
            if (f != null)
            {
                fields.add(f);
            }
        }
        if (fields.size() > 1)
        {
            System.err.println("rookery query: --sum, --min and --max name one field per query");
            return Main.EXIT_USAGE;
        }
        final Http http = new Http(Duration.ofSeconds(timeoutSeconds), null);
        final String base = "/agents/" + URLEncoder.encode(type, StandardCharsets.UTF_8) + "?" +
            (where == null ? "" : "where=" + URLEncoder.encode(where, StandardCharsets.UTF_8) + "&");
        try
        {
            if (count || field != null)
            {
                final String which = sum != null ? "sum" : min != null ? "min" : max != null ? "max" : "count";
                final Http.Reply reply = http.get(via, base + which + "=" +
                    (field == null ? "true" : URLEncoder.encode(field, StandardCharsets.UTF_8)));
                if (reply.status() != 200)
                {
                    System.err.println("HTTP " + reply.status() + ": " + reply.body());
                    return Main.EXIT_CHECK_FAILED;
                }
                final JsonNode result = reply.json();
                if (json)
                {
                    System.out.println(reply.body());
                }
                else
                {
                    System.out.println("count " + result.path("count").asLong() + (field == null ? "" :
                        "   " + field + ": sum " + result.path("sum").asText() + "  min " +
                        result.path("min").asText() + "  max " + result.path("max").asText() + " (over " +
                        result.path("numbers").asLong() + " numbers)") + "   [" + result.path("scanned").asLong() +
                        " agents scanned in " + result.path("partitions").asInt() + " partitions, " +
                        result.path("tookMs").asLong() + " ms]");
                }
                return 0;
            }
            final List<JsonNode> agents = new ArrayList<>();
            String next = cursor;
            do
            {
                final int size = Math.min(page, limit - agents.size());
                final Http.Reply reply = http.get(via, base + "limit=" + size +
                    (next == null ? "" : "&cursor=" + next));
                if (reply.status() != 200)
                {
                    System.err.println("HTTP " + reply.status() + ": " + reply.body());
                    return Main.EXIT_CHECK_FAILED;
                }
                final JsonNode pageJson = reply.json();
                pageJson.path("agents").forEach(agents::add);
                next = pageJson.hasNonNull("next") ? pageJson.get("next").asText() : null;
            }
            while (next != null && agents.size() < limit);
            if (json)
            {
                final java.util.Map<String, Object> out = new java.util.LinkedHashMap<>();
                out.put("agents", agents);
                if (next != null)
                {
                    out.put("next", next);
                }
                System.out.println(new String(Codecs.toJson(out), StandardCharsets.UTF_8));
                return 0;
            }
            for (final JsonNode agent : agents)
            {
                System.out.println(agent.path("key").asText() + "\t" +
                    new String(Codecs.toJson(agent.path("state")), StandardCharsets.UTF_8));
            }
            System.out.println(agents.size() + " agents" + (next == null ? "" :
                "; more follow: --cursor " + next));
            return 0;
        }
        catch (final Exception ex)
        {
            System.err.println("query failed: " + ex.getMessage());
            return Main.EXIT_USAGE;
        }
    }
}
