package io.rookery.chaos;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;

import io.rookery.api.AgentId;
import io.rookery.api.Codecs;
import io.rookery.chaos.nemesis.Fault;
import io.rookery.chaos.nemesis.Faults;
import io.rookery.chaos.workload.BankWorkload;
import io.rookery.chaos.workload.CounterWorkload;
import io.rookery.chaos.workload.RegisterWorkload;
import io.rookery.chaos.workload.SequenceWorkload;
import io.rookery.chaos.workload.Workload;
import io.rookery.client.RookeryClient;
import io.rookery.node.FaultInjection;
import io.rookery.node.Partitioner;
import io.rookery.testing.TestCluster;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code bin/chaos}: five real node processes under a seeded nemesis, four workloads with their
 * checkers, and a results folder with the history, the fault timeline and the summary. Exit 0
 * when no guarantee was broken, 1 on any violation, 2 when the run itself could not happen.
 */
@Command(name = "chaos", mixinStandardHelpOptions = true, exitCodeOnExecutionException = 2,
    exitCodeOnInvalidInput = 2,
    description = "Run the chaos suite: real processes, real faults, checked histories.")
public final class ChaosMain implements Callable<Integer>
{
    /** Partitions of the chaos cluster: the node default, so the suite tests what users run. */
    public static final int PARTITIONS = 256;

    private static final int NODES = 5;
    private static final Duration LIVENESS_BOUND = Duration.ofSeconds(90);
    private static final Duration CALM = Duration.ofSeconds(4);
    private static final Duration CHECK_DEADLINE = Duration.ofSeconds(90);

    @Parameters(index = "0", description = "smoke (a fixed tour of the faults, a few minutes) or full (random faults).")
    String scenario;

    @Option(names = "--faults", split = ",",
        description = "Run these faults one after another (8 s holds) instead of the scenario's; "
            + "names as in the summary.")
    List<String> onlyFaults;

    @Option(names = "--seed", description = "Seed of the nemesis and the workloads (default: from the clock).")
    Long seed;

    @Option(names = "--minutes", defaultValue = "10", description = "Length of a full run (default: ${DEFAULT-VALUE}).")
    int minutes;

    @Option(names = "--red-gate", description = "Plant a known bug (skip the inbox dedup); the run must fail.")
    boolean redGate;

    @Option(names = "--network", defaultValue = "auto", description = "auto, netns or loopback.")
    String network;

    @Option(names = "--results", defaultValue = "results", description = "Folder for the run's results.")
    Path results;

    @Option(names = "--base-port", defaultValue = "7500", description = "First node port.")
    int basePort;

    /** Set by {@link #call()}: where this run wrote its results. */
    Path runDirectory;

    /**
     * @param args command line.
     */
    public static void main(final String[] args)
    {
        System.exit(new CommandLine(new ChaosMain()).execute(args));
    }

    public Integer call() throws Exception
    {
        final long runSeed = seed != null ? seed : System.currentTimeMillis() % 1_000_000;
        final NetworkLab.Mode mode = switch (network)
        {
            case "netns" -> NetworkLab.Mode.NETNS;
            case "loopback" -> NetworkLab.Mode.LOOPBACK;
            default -> null;
        };
        final String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        final Path dir = results.resolve("chaos-" + stamp + "-" + scenario + (redGate ? "-redgate" : "") + "-seed" +
            runSeed);
        Files.createDirectories(dir);
        runDirectory = dir;
        final Path data = Files.createTempDirectory("rookery-chaos-");
        System.out.printf("chaos %s seed=%d%s results=%s%n", scenario, runSeed, redGate ? " RED GATE" : "", dir);

        final NetworkLab lab = NetworkLab.create(NODES, mode);
        final List<String> jvmArgs = new ArrayList<>(List.of("-Xms64m", "-Xmx384m", "-XX:TieredStopAtLevel=1"));
        final List<String> nodeArgs = new ArrayList<>(List.of("--idempotency-retention-s=7200", "--loops=1",
            "--partitions=" + PARTITIONS));
        if (redGate)
        {
            jvmArgs.add("-Drookery.inject=" + FaultInjection.SKIP_INBOX_DEDUP);
            nodeArgs.add("--resend-after-ms=25");
        }
        final ChaosCluster cluster = new ChaosCluster(lab, NODES, basePort, jvmArgs, nodeArgs, data.resolve("nodes"));
        final Thread cleanup = new Thread(() ->
        {
            cluster.close();
            lab.close();
        }, "chaos-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        final Map<String, Object> summary = new LinkedHashMap<>();
        final List<Violation> violations = new ArrayList<>();
        final History history = new History();
        final List<Nemesis.Event> timeline = new ArrayList<>();
        int exit;
        try
        {
            summary.put("scenario", scenario);
            summary.put("seed", runSeed);
            summary.put("redGate", redGate);
            summary.put("network", lab.mode() + " (" + lab.why() + ")");
            summary.put("netem", lab.netem());
            cluster.start(Duration.ofMinutes(3));
            final RookeryClient client = cluster.client(Duration.ofSeconds(5));
            final List<Workload> workloads = List.of(
                new CounterWorkload(history, client, runSeed),
                new RegisterWorkload(history, client, runSeed),
                new BankWorkload(history, client, runSeed),
                new SequenceWorkload(history, client, runSeed));
            for (final Workload workload : workloads)
            {
                workload.setUp(cluster);
            }
            workloads.forEach(Workload::start);

            final Nemesis nemesis = new Nemesis(cluster, history, new Random(runSeed));
            timeline.addAll(nemesis.run(schedule(new Random(runSeed ^ 0x5DEECE66DL)), CALM));
            cluster.lab().heal();

            final long recoveryMs = awaitLiveness(cluster, client, dir);
            summary.put("recoveryAfterLastHealMs", recoveryMs);
            summary.put("livenessBoundMs", LIVENESS_BOUND.toMillis());
            if (recoveryMs < 0)
            {
                violations.add(new Violation("liveness", "the cluster did not serve every partition within " +
                    LIVENESS_BOUND + " of the last heal"));
            }
            // Keep the load on a little after the heal, then stop and check.
            ChaosCluster.sleep(3000);
            workloads.forEach(Workload::stop);
            final Map<String, Object> operations = new LinkedHashMap<>();
            for (final Workload workload : workloads)
            {
                violations.addAll(workload.check(cluster, CHECK_DEADLINE));
                operations.put(workload.name(), workload.stats());
            }
            summary.put("operations", operations);
            summary.put("historyEvents", history.size());
            exit = violations.isEmpty() ? 0 : 1;
        }
        catch (final RuntimeException ex)
        {
            summary.put("error", String.valueOf(ex));
            for (int i = 0; i < cluster.size(); i++)
            {
                summary.put("log-tail-" + cluster.nodeId(i), cluster.logTail(i));
            }
            exit = 2;
        }
        finally
        {
            cluster.close();
            lab.close();
            Runtime.getRuntime().removeShutdownHook(cleanup);
        }

        summary.put("faults", timeline.stream().map(Nemesis.Event::toMap).toList());
        summary.put("violations", violations.stream().map(v -> v.checker() + ": " + v.description()).toList());
        summary.put("verdict", exit == 0 ? "PASS" : exit == 1 ? "FAIL: " + violations.size() + " violations" :
            "ERROR: the run could not complete");
        history.write(dir.resolve("history.jsonl"));
        Files.write(dir.resolve("faults.jsonl"), timeline.stream()
            .map(e -> new String(Codecs.toJson(e.toMap()), StandardCharsets.UTF_8)).toList());
        Files.write(dir.resolve("summary.json"), Codecs.toJson(summary));
        for (final Map.Entry<String, Path> log : cluster.logs().entrySet())
        {
            if (Files.exists(log.getValue()))
            {
                Files.copy(log.getValue(), dir.resolve(log.getKey() + ".log"), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        TestCluster.deleteRecursively(data);
        final String text = render(summary, violations, timeline);
        Files.writeString(dir.resolve("summary.txt"), text);
        System.out.println(text);
        return exit;
    }

    private List<Fault> schedule(final Random random)
    {
        final List<Fault> faults = new ArrayList<>();
        if (redGate)
        {
            faults.add(Faults.byName("kill-leader", Duration.ofSeconds(5)));
            faults.add(Faults.byName("pause-short", Duration.ofSeconds(1)));
            return faults;
        }
        if (onlyFaults != null && !onlyFaults.isEmpty())
        {
            for (final String name : onlyFaults)
            {
                faults.add(Faults.byName(name.trim(), Duration.ofSeconds(8)));
            }
            return faults;
        }
        if ("smoke".equals(scenario))
        {
            faults.add(Faults.byName("kill-leader", Duration.ofSeconds(6)));
            faults.add(Faults.byName("pause-short", Duration.ofSeconds(1)));
            faults.add(Faults.byName("isolate-node", Duration.ofSeconds(8)));
            faults.add(Faults.byName("pause-long", Duration.ofSeconds(7)));
            faults.add(Faults.byName("stall", Duration.ofSeconds(14)));
            faults.add(Faults.byName("halves", Duration.ofSeconds(8)));
            faults.add(Faults.byName("packet-loss", Duration.ofSeconds(8)));
            faults.add(Faults.byName("delay", Duration.ofSeconds(6)));
            faults.add(Faults.byName("kill-minority", Duration.ofSeconds(6)));
            faults.add(Faults.byName("move-partitions", Duration.ofSeconds(8)));
            faults.add(Faults.byName("rolling-restart", Duration.ZERO));
            return faults;
        }
        if (!"full".equals(scenario))
        {
            throw new CommandLine.ParameterException(new CommandLine(this), "scenario must be smoke or full");
        }
        final List<String> names = Faults.names();
        final long budgetMs = Duration.ofMinutes(minutes).toMillis();
        long plannedMs = 0;
        while (plannedMs < budgetMs)
        {
            final Duration hold = Duration.ofSeconds(4 + random.nextInt(12));
            if (random.nextInt(4) == 0)
            {
                faults.add(new Nemesis.Mixture(
                    Faults.byName(names.get(random.nextInt(names.size())), hold),
                    Faults.byName(names.get(random.nextInt(names.size())), hold)));
            }
            else
            {
                faults.add(Faults.byName(names.get(random.nextInt(names.size())), hold));
            }
            // Restarts that wait for readiness add to this, so a run ends somewhat after its budget.
            plannedMs += hold.toMillis() + CALM.toMillis();
        }
        return faults;
    }

    /**
     * @return milliseconds until every partition has a leader and takes a write, or -1.
     */
    private static long awaitLiveness(final ChaosCluster cluster, final RookeryClient client, final Path dir)
    {
        final long start = System.nanoTime();
        final long deadline = start + LIVENESS_BOUND.toNanos();
        final String[] probes = new String[PARTITIONS];
        for (int i = 0, found = 0; found < probes.length; i++)
        {
            final String key = "chaos-probe-" + i;
            final int p = Partitioner.partition(AgentId.of("counter", key), PARTITIONS);
            if (probes[p] == null)
            {
                probes[p] = key;
                found++;
            }
        }
        final boolean[] served = new boolean[probes.length];
        while (System.nanoTime() < deadline)
        {
            boolean all = cluster.leaders().size() == probes.length;
            for (int p = 0; all && p < probes.length; p++)
            {
                if (!served[p])
                {
                    try
                    {
                        client.ask("counter", probes[p], "{\"op\":\"increment\"}").join();
                        served[p] = true;
                    }
                    catch (final RuntimeException ex)
                    {
                        all = false;
                    }
                }
            }
            if (all)
            {
                return (System.nanoTime() - start) / 1_000_000;
            }
            ChaosCluster.sleep(250);
        }
        writeLivenessReport(cluster, served, dir);
        return -1;
    }

    /**
     * The cluster did not recover: keep what each node says of the partitions still unserved.
     */
    private static void writeLivenessReport(final ChaosCluster cluster, final boolean[] served, final Path dir)
    {
        final Map<Integer, String> leaders = cluster.leaders();
        final Map<String, Object> report = new LinkedHashMap<>();
        report.put("partitionsWithLeader", leaders.size());
        final Map<String, Object> unserved = new LinkedHashMap<>();
        // Partitions without a leader first: while any lacks one, the probe sent no request at all.
        for (int p = 0; p < served.length && unserved.size() < 4; p++)
        {
            if (!leaders.containsKey(p))
            {
                unserved.put(String.valueOf(p), cluster.describePartition(p));
            }
        }
        for (int p = 0; p < served.length && unserved.size() < 8; p++)
        {
            if (!served[p] && !unserved.containsKey(String.valueOf(p)))
            {
                unserved.put(String.valueOf(p), cluster.describePartition(p));
            }
        }
        report.put("unserved", unserved);
        try
        {
            Files.write(dir.resolve("liveness.json"), Codecs.toJson(report));
            System.out.println("liveness report: " + dir.resolve("liveness.json"));
        }
        catch (final IOException | RuntimeException ex)
        {
            System.out.println("liveness report not written: " + ex);
        }
    }

    @SuppressWarnings("unchecked")
    private static String render(
        final Map<String, Object> summary, final List<Violation> violations, final List<Nemesis.Event> timeline)
    {
        final StringBuilder out = new StringBuilder();
        out.append("== chaos summary\n");
        out.append(String.format("scenario %s, seed %s, network %s%n", summary.get("scenario"), summary.get("seed"),
            summary.get("network")));
        out.append("faults:\n");
        for (final Nemesis.Event event : timeline)
        {
            out.append("  ").append(event.describe()).append('\n');
        }
        final Object operations = summary.get("operations");
        if (operations instanceof Map)
        {
            out.append("operations:\n");
            ((Map<String, Object>)operations).forEach((k, v) -> out.append("  ").append(k).append(' ').append(v)
                .append('\n'));
        }
        out.append("recovery after the last heal: ").append(summary.get("recoveryAfterLastHealMs"))
            .append(" ms (bound ").append(LIVENESS_BOUND.toMillis()).append(" ms)\n");
        if (summary.containsKey("error"))
        {
            out.append("error: ").append(summary.get("error")).append('\n');
        }
        out.append("violations: ").append(violations.size()).append('\n');
        for (final Violation v : violations)
        {
            out.append("  VIOLATION ").append(v.checker()).append(": ").append(v.description()).append('\n');
        }
        out.append("verdict: ").append(summary.get("verdict")).append('\n');
        return out.toString();
    }

    /**
     * Runs the suite in this JVM (for tests).
     *
     * @param args command line.
     * @return the exit code and the run's results folder.
     */
    public static Map.Entry<Integer, Path> run(final String... args)
    {
        final ChaosMain main = new ChaosMain();
        final int code = new CommandLine(main).execute(args);
        return Map.entry(code, main.runDirectory == null ? Path.of(".") : main.runDirectory);
    }

    static void copy(final Path from, final Path to) throws IOException
    {
        Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
}
