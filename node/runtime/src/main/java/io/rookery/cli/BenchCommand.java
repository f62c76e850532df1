package io.rookery.cli;

import java.io.PrintStream;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import io.rookery.api.Codecs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code rookery bench}: load on a running cluster through its public HTTP API, the way a user's
 * clients put it there, and what came of it: acknowledged operations per second and latency
 * percentiles. Closed loop: each connection sends its next request when the last one is answered.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Put load on a running cluster through its HTTP API; print acknowledged ops/s and latency.")
public final class BenchCommand implements Callable<Integer>
{
    @Option(names = "--via", split = ",", defaultValue = "127.0.0.1:7103,127.0.0.1:7113,127.0.0.1:7123",
        description = "HTTP endpoints of the nodes to send to, comma separated; connections are spread over "
            + "them (default: the nodes of `rookery local`).")
    List<String> via;

    @Option(names = {"-c", "--connections"}, defaultValue = "64",
        description = "Requests in flight at once, each on its own connection (default: ${DEFAULT-VALUE}).")
    int connections;

    @Option(names = {"-d", "--duration"}, defaultValue = "30s",
        description = "How long to measure, e.g. 30s or 2m (default: ${DEFAULT-VALUE}).")
    String duration;

    @Option(names = "--warmup", defaultValue = "5s",
        description = "Load before measuring starts, not counted (default: ${DEFAULT-VALUE}).")
    String warmup;

    @Option(names = "--keys", defaultValue = "1000",
        description = "Number of distinct agents the load is spread over (default: ${DEFAULT-VALUE}).")
    int keys;

    @Option(names = "--type", defaultValue = "counter", description = "Agent type (default: ${DEFAULT-VALUE}).")
    String type;

    @Option(names = "--message", defaultValue = "{\"op\":\"increment\",\"by\":1}",
        description = "The message each request carries (default: an increment).")
    String message;

    @Option(names = "--mode", defaultValue = "ask",
        description = "ask (wait for the reply) or tell (acknowledged once the turn committed) (default: "
            + "${DEFAULT-VALUE}).")
    String mode;

    @Option(names = "--timeout", defaultValue = "10s",
        description = "A request unanswered this long counts as an error (default: ${DEFAULT-VALUE}).")
    String timeout;

    @Option(names = "--key-prefix", defaultValue = "bench-",
        description = "Agents are named PREFIX0 .. PREFIX(keys-1) (default: ${DEFAULT-VALUE}).")
    String keyPrefix;

    @Option(names = "--json", description = "Print the result as one JSON object.")
    boolean json;

    @Option(names = "--idempotent",
        description = "Give each request its own idempotency key and send it again, with that key, to the next "
            + "node after a connection error, timeout, 503 or 504, until answered or --timeout passes, as the "
            + "Java client does: each request is applied exactly once or reported in doubt.")
    boolean idempotent;

    public Integer call()
    {
        final LoadRun.Settings settings;
        try
        {
            if (!mode.equals("ask") && !mode.equals("tell"))
            {
                throw new IllegalArgumentException("--mode must be ask or tell, not " + mode);
            }
            settings = new LoadRun.Settings(List.copyOf(via), connections, Durations.parse("--duration", duration),
                Durations.parse("--warmup", warmup), keys, type, keyPrefix, message, mode.equals("tell"),
                Durations.parse("--timeout", timeout), idempotent);
        }
        catch (final IllegalArgumentException ex)
        {
            System.err.println("rookery bench: " + ex.getMessage());
            return Main.EXIT_USAGE;
        }
        if (!json)
        {
            System.out.printf("bench: %d connections over %s, %d agents of type %s, %s each, %s measured after %s "
                + "warm-up%n", settings.connections(), String.join(",", settings.endpoints()), settings.keys(),
                settings.type(), settings.tell() ? "tell" : "ask", Durations.format(settings.duration()),
                Durations.format(settings.warmup()));
        }
        try
        {
            final LoadRun.Result result = new LoadRun(settings).run();
            print(result, System.out);
            return result.acknowledged() > 0 ? 0 : Main.EXIT_CHECK_FAILED;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return Main.EXIT_CHECK_FAILED;
        }
    }

    private void print(final LoadRun.Result r, final PrintStream out)
    {
        if (json)
        {
            final Map<String, Object> view = new LinkedHashMap<>();
            view.put("connections", connections);
            view.put("seconds", r.seconds());
            view.put("acknowledged", r.acknowledged());
            view.put("opsPerSecond", Math.round(r.opsPerSecond()));
            view.put("errors", r.errors());
            view.put("errorsByKind", r.errorsByKind());
            view.put("acknowledgedAll", r.acknowledgedAll());
            view.put("inDoubt", r.inDoubt());
            view.put("slowest", r.slowest());
            view.put("latencyMs", Map.of("p50", r.percentileMs(0.50), "p99", r.percentileMs(0.99),
                "p999", r.percentileMs(0.999), "max", r.percentileMs(1.0)));
            out.println(new String(Codecs.toJson(view), java.nio.charset.StandardCharsets.UTF_8));
            return;
        }
        out.printf("acknowledged %,d ops in %.1f s: %,.0f ops/s%n", r.acknowledged(), r.seconds(), r.opsPerSecond());
        final long notSent = r.errorsByKind().getOrDefault(LoadRun.NOT_SENT, 0L);
        out.printf("errors       %,d%s%n", r.errors(), r.errors() == 0 ? "" : " " + r.errorsByKind());
        if (notSent > 0)
        {
            out.printf("not sent     %,d (a node refused the connection; the connection moved to the next node)%n",
                notSent);
        }
        final long retried = r.errorsByKind().getOrDefault(LoadRun.RETRIED, 0L);
        if (retried > 0)
        {
            out.printf("sent again   %,d (in doubt after a connection error, timeout, 503 or 504; same key)%n",
                retried);
        }
        out.printf("whole run    %,d acknowledged (warm-up and late answers included), %,d in doubt%n",
            r.acknowledgedAll(), r.inDoubt());
        out.printf("latency      p50 %.2f ms  p99 %.2f ms  p999 %.2f ms  max %.2f ms%n", r.percentileMs(0.50),
            r.percentileMs(0.99), r.percentileMs(0.999), r.percentileMs(1.0));
        final StringBuilder slowest = new StringBuilder();
        for (final LoadRun.Slow slow : r.slowest())
        {
            slowest.append(String.format("  %.0f ms at %.1f s", slow.ms(), slow.sentAtS()));
        }
        if (!slowest.isEmpty())
        {
            out.printf("slowest    %s%n", slowest);
        }
    }

    /** Durations as the command line writes them: 500ms, 30s, 2m. */
    static final class Durations
    {
        private Durations()
        {
        }

        static Duration parse(final String option, final String text)
        {
            final String t = text.trim().toLowerCase();
            try
            {
                if (t.endsWith("ms"))
                {
                    return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
                }
                if (t.endsWith("s"))
                {
                    return Duration.ofMillis(Math.round(Double.parseDouble(t.substring(0, t.length() - 1)) * 1000));
                }
                if (t.endsWith("m"))
                {
                    return Duration.ofSeconds(Math.round(Double.parseDouble(t.substring(0, t.length() - 1)) * 60));
                }
                return Duration.ofSeconds(Long.parseLong(t));
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException(option + " takes a duration such as 500ms, 30s or 2m, not '" +
                    text + "'");
            }
        }

        static String format(final Duration d)
        {
            return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
        }
    }
}
