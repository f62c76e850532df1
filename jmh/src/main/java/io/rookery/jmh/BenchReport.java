package io.rookery.jmh;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Turns a JMH JSON result file into the table {@code bin/bench} prints, and computes each suite's
 * ratios of Rookery to its baseline from the same run. Usage: {@code BenchReport <suite> <json>}.
 */
public final class BenchReport
{
    private BenchReport()
    {
    }

    /**
     * One JMH result.
     *
     * @param benchmark short benchmark name.
     * @param params    its parameters, "k=v" joined.
     * @param mode      JMH mode.
     * @param score     primary score.
     * @param error     score error (99.9%).
     * @param unit      score unit.
     * @param p50       median for sample-time results, else NaN.
     * @param p99       99th percentile for sample-time results, else NaN.
     * @param allocated bytes allocated per operation (JMH's gc profiler), or NaN without it.
     */
    record Result(String benchmark, String params, String mode, double score, double error, String unit, double p50,
        double p99, double allocated)
    {
    }

    /**
     * @param args suite name and JMH JSON file.
     * @throws IOException when the file cannot be read.
     */
    public static void main(final String[] args) throws IOException
    {
        final String suite = args[0];
        final List<Result> results = new java.util.ArrayList<>();
        for (int i = 1; i < args.length; i++)
        {
            results.addAll(read(Path.of(args[i])));
        }
        System.out.printf(Locale.ROOT, "%-34s %-46s %16s %12s %-10s %10s%n",
            "BENCHMARK", "PARAMS", "SCORE", "ERROR", "UNIT", "ALLOC B/op");
        for (final Result r : results)
        {
            final String score = Double.isNaN(r.p50()) ? String.format(Locale.ROOT, "%.1f", r.score()) :
                String.format(Locale.ROOT, "p50=%.2f p99=%.2f", r.p50(), r.p99());
            System.out.printf(Locale.ROOT, "%-34s %-46s %16s %12.1f %-10s %10s%n",
                r.benchmark(), r.params(), score, r.error(), r.unit(),
                Double.isNaN(r.allocated()) ? "-" : String.format(Locale.ROOT, "%.2f", r.allocated()));
        }
        switch (suite)
        {
            case "durable" ->
            {
                final double group = score(results, "durableTurns", "mode=group-commit");
                final double single = score(results, "durableTurns", "mode=one-entry-per-turn");
                System.out.printf(Locale.ROOT, "RATIO durable-group-commit/one-entry-per-turn %.2f%n", group / single);
            }
            case "transport" ->
            {
                for (final String size : new String[] {"64", "256", "1024"})
                {
                    for (final String mtu : new String[] {"1408", "8192"})
                    {
                        final Result transport = find(results, "message", "path=rookery-transport",
                            "payload=" + size, "mtu=" + mtu);
                        if (transport != null && !Double.isNaN(transport.allocated()))
                        {
                            System.out.printf(Locale.ROOT, "ALLOC transport-%sB-mtu-%s %.3f B/op%n", size, mtu,
                                transport.allocated());
                        }
                    }
                }
                // The ratios that the targets name are at the network MTU (1408), the default of
                // nodes on separate hosts; at the loopback MTU (8192) they are printed first.
                final double rawLoopback = score(results, "message", "path=raw-aeron", "payload=64", "mtu=8192");
                if (!Double.isNaN(rawLoopback))
                {
                    System.out.printf(Locale.ROOT, "RATIO transport/raw-aeron-64B-mtu-8192 %.2f%n",
                        score(results, "message", "path=rookery-transport", "payload=64", "mtu=8192") / rawLoopback);
                    System.out.printf(Locale.ROOT, "RATIO ephemeral-tell/raw-aeron-64B-mtu-8192 %.2f%n",
                        score(results, "tell", "route=cross-node", "payload=64", "mtu=8192", "secret=off") /
                        rawLoopback);
                }
                final double raw = score(results, "message", "path=raw-aeron", "payload=64", "mtu=1408");
                System.out.printf(Locale.ROOT, "RATIO transport/raw-aeron-64B %.2f%n",
                    score(results, "message", "path=rookery-transport", "payload=64", "mtu=1408") / raw);
                System.out.printf(Locale.ROOT, "RATIO ephemeral-tell/raw-aeron-64B %.2f%n",
                    score(results, "tell", "route=cross-node", "payload=64", "mtu=1408", "secret=off") / raw);
                // The cost of the cluster secret: authenticated beside plain, same run (target >= 0.9).
                System.out.printf(Locale.ROOT, "RATIO transport-mac/transport-64B %.2f%n",
                    score(results, "message", "path=rookery-transport-mac", "payload=64", "mtu=1408") /
                    score(results, "message", "path=rookery-transport", "payload=64", "mtu=1408"));
                System.out.printf(Locale.ROOT, "RATIO ephemeral-tell-secret/ephemeral-tell-64B %.2f%n",
                    score(results, "tell", "route=cross-node", "payload=64", "mtu=1408", "secret=on") /
                    score(results, "tell", "route=cross-node", "payload=64", "mtu=1408", "secret=off"));
                System.out.printf(Locale.ROOT, "RATIO frame-mac-siphash/hmac-sha256-1376B %.2f%n",
                    score(results, "mac", "algorithm=siphash-2-4", "length=1376") /
                    score(results, "mac", "algorithm=hmac-sha256", "length=1376"));
            }
            case "peers" ->
            {
                for (final String size : new String[] {"64", "1024"})
                {
                    final double rookery = score(results, "tell", "system=rookery-tell", "payload=" + size);
                    System.out.printf(Locale.ROOT, "RATIO rookery-tell/pekko-artery-aeron-udp-%sB %.2f%n", size,
                        rookery / score(results, "tell", "system=pekko-artery-aeron-udp", "payload=" + size));
                    if (!"64".equals(size))
                    {
                        System.out.printf(Locale.ROOT, "RATIO rookery-tell/pekko-artery-tcp-%sB %.2f%n", size,
                            rookery / score(results, "tell", "system=pekko-artery-tcp", "payload=" + size));
                    }
                }
                System.out.printf(Locale.ROOT, "RATIO rookery-tell/pekko-artery-tcp-64B %.2f%n",
                    score(results, "tell", "system=rookery-tell", "payload=64") /
                    score(results, "tell", "system=pekko-artery-tcp", "payload=64"));
                System.out.printf(Locale.ROOT, "RATIO rookery-durable/jgroups-raft %.2f%n",
                    score(results, "increment", "system=rookery-durable") /
                    score(results, "increment", "system=jgroups-raft"));
            }
            default -> System.out.println("(no ratios defined for suite " + suite + ")");
        }
    }

    static double score(final List<Result> results, final String benchmark, final String... params)
    {
        final Result result = find(results, benchmark, params);
        return result == null ? Double.NaN : result.score();
    }

    static Result find(final List<Result> results, final String benchmark, final String... params)
    {
        for (final Result r : results)
        {
            if (r.benchmark().endsWith("." + benchmark) && hasAll(r.params(), params))
            {
                return r;
            }
        }
        return null;
    }

    private static boolean hasAll(final String params, final String[] wanted)
    {
        final List<String> have = List.of(params.split(" "));
        for (final String w : wanted)
        {
            if (!have.contains(w))
            {
                return false;
            }
        }
        return true;
    }

    static List<Result> read(final Path file) throws IOException
    {
        final JsonNode root = new ObjectMapper().readTree(Files.readAllBytes(file));
        final List<Result> results = new ArrayList<>();
        for (final JsonNode run : root)
        {
            final String name = run.get("benchmark").asText();
            final StringBuilder params = new StringBuilder();
            final JsonNode p = run.get("params");
            if (p != null)
            {
                for (final Iterator<Map.Entry<String, JsonNode>> it = p.fields(); it.hasNext(); )
                {
                    final Map.Entry<String, JsonNode> e = it.next();
                    params.append(params.length() == 0 ? "" : " ").append(e.getKey()).append('=')
                        .append(e.getValue().asText());
                }
            }
            final JsonNode metric = run.get("primaryMetric");
            final JsonNode percentiles = metric.get("scorePercentiles");
            final boolean sampled = "sample".equals(run.get("mode").asText());
            double allocated = Double.NaN;
            final JsonNode secondary = run.get("secondaryMetrics");
            if (secondary != null)
            {
                for (final Iterator<Map.Entry<String, JsonNode>> it = secondary.fields(); it.hasNext(); )
                {
                    final Map.Entry<String, JsonNode> e = it.next();
                    if (e.getKey().endsWith("gc.alloc.rate.norm"))
                    {
                        allocated = e.getValue().get("score").asDouble();
                    }
                }
            }
            results.add(new Result(name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1),
                params.toString(), run.get("mode").asText(), metric.get("score").asDouble(),
                metric.get("scoreError").asDouble(Double.NaN), metric.get("scoreUnit").asText(),
                sampled ? percentiles.get("50.0").asDouble() : Double.NaN,
                sampled ? percentiles.get("99.0").asDouble() : Double.NaN, allocated));
        }
        return results;
    }
}
