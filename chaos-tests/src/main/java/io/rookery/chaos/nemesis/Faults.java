package io.rookery.chaos.nemesis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.function.Supplier;

import io.rookery.chaos.ChaosCluster;

/**
 * The fault catalogue of the nemesis. Every fault heals itself: killed nodes are restarted,
 * paused ones continued, network rules flushed.
 */
public final class Faults
{
    /** Raft's election timeout is 0.5-1 s: a pause of 0.4 s should not cost a leadership. */
    static final Duration SHORT_PAUSE = Duration.ofMillis(400);
    /** Longer than the election timeout and than gossip's suspicion timeout (~4 s). */
    static final Duration LONG_PAUSE = Duration.ofSeconds(7);
    /**
     * Longer than Aeron's driver timeout (10 s): the paused node's Aeron client closes itself when
     * it wakes, as after a long GC pause or a stalled virtual machine, and must be replaced.
     */
    static final Duration STALL = Duration.ofSeconds(14);
    static final Duration RESTART_TIMEOUT = Duration.ofSeconds(90);

    private Faults()
    {
    }

    /**
     * @param name a fault name.
     * @param hold how long to hold it.
     * @return the fault.
     */
    public static Fault byName(final String name, final Duration hold)
    {
        final BiFunction<String, Duration, Fault> factory = CATALOGUE.get(name);
        if (factory == null)
        {
            throw new IllegalArgumentException("unknown fault '" + name + "'; known: " + CATALOGUE.keySet());
        }
        return factory.apply(name, hold);
    }

    /** @return every fault name. */
    public static List<String> names()
    {
        return List.copyOf(CATALOGUE.keySet());
    }

    private static final Map<String, BiFunction<String, Duration, Fault>> CATALOGUE = new java.util.LinkedHashMap<>();

    static
    {
        CATALOGUE.put("kill-node", (n, d) -> new Kill(n, d, Target.RANDOM, 1));
        CATALOGUE.put("kill-leader", (n, d) -> new Kill(n, d, Target.BUSIEST_LEADER, 1));
        CATALOGUE.put("kill-minority", (n, d) -> new Kill(n, d, Target.RANDOM, 2));
        CATALOGUE.put("pause-short", (n, d) -> new Pause(n, SHORT_PAUSE));
        CATALOGUE.put("pause-long", (n, d) -> new Pause(n, LONG_PAUSE));
        CATALOGUE.put("stall", (n, d) -> new Pause(n, STALL));
        CATALOGUE.put("isolate-node", (n, d) -> new Partition(n, d, Shape.ISOLATE_ONE));
        CATALOGUE.put("isolate-leaders", (n, d) -> new Partition(n, d, Shape.ISOLATE_LEADERS));
        CATALOGUE.put("halves", (n, d) -> new Partition(n, d, Shape.HALVES));
        CATALOGUE.put("bridge", (n, d) -> new Partition(n, d, Shape.BRIDGE));
        CATALOGUE.put("one-way-loss", (n, d) -> new Partition(n, d, Shape.ONE_WAY));
        CATALOGUE.put("packet-loss", (n, d) -> new Partition(n, d, Shape.RANDOM_LOSS));
        CATALOGUE.put("delay", (n, d) -> new Netem(n, d, "delay 60ms 20ms"));
        CATALOGUE.put("reorder", (n, d) -> new Netem(n, d, "delay 10ms reorder 25% 50%"));
        CATALOGUE.put("restart-all", (n, d) -> new RestartAll(n));
        CATALOGUE.put("move-partitions", (n, d) -> new MovePartitions(n, d));
        CATALOGUE.put("leave-join", (n, d) -> new LeaveJoin(n));
        CATALOGUE.put("rolling-restart", (n, d) -> new RollingRestart(n));
    }

    /**
     * Starts the nodes at once and waits for each to be ready. Not one after another: a node
     * reports ready only when every partition it hosts has a leader, which may need another of
     * the nodes being restarted, so a sequential heal would wait out the timeout on the first
     * node while the fault it heals lasted on.
     */
    private static String restartTogether(final ChaosCluster cluster, final List<Integer> nodes)
    {
        final List<Supplier<String>> restarts = new ArrayList<>();
        for (final int node : nodes)
        {
            restarts.add(() -> cluster.nodeId(node) + " " + cluster.restart(node, RESTART_TIMEOUT));
        }
        return String.join("; ", ChaosCluster.together(restarts));
    }

    private enum Target
    {
        RANDOM, BUSIEST_LEADER
    }

    private enum Shape
    {
        ISOLATE_ONE, ISOLATE_LEADERS, HALVES, BRIDGE, ONE_WAY, RANDOM_LOSS
    }

    private static final class Kill implements Fault
    {
        private final String name;
        private final Duration hold;
        private final Target target;
        private final int count;
        private final List<Integer> killed = new ArrayList<>();

        Kill(final String name, final Duration hold, final Target target, final int count)
        {
            this.name = name;
            this.hold = hold;
            this.target = target;
            this.count = count;
        }

        public String name()
        {
            return name;
        }

        public Duration duration()
        {
            return hold;
        }

        public String inject(final ChaosCluster cluster, final Random random)
        {
            killed.clear();
            final StringBuilder evidence = new StringBuilder();
            if (target == Target.BUSIEST_LEADER)
            {
                final Map<Integer, String> leaders = cluster.leaders();
                final Map<String, Integer> led = new HashMap<>();
                leaders.values().forEach(id -> led.merge(id, 1, Integer::sum));
                final String busiest = led.entrySet().stream().max(Map.Entry.comparingByValue())
                    .map(Map.Entry::getKey).orElse(cluster.nodeId(random.nextInt(cluster.size())));
                killed.add(cluster.indexOf(busiest));
                evidence.append(busiest).append(" led ").append(led.getOrDefault(busiest, 0))
                    .append(" partitions; ");
            }
            else
            {
                final List<Integer> all = new ArrayList<>();
                for (int i = 0; i < cluster.size(); i++)
                {
                    all.add(i);
                }
                Collections.shuffle(all, random);
                killed.addAll(all.subList(0, count));
            }
            for (final int i : killed)
            {
                evidence.append("kill -9 ").append(cluster.nodeId(i)).append(": ").append(cluster.kill9(i))
                    .append("; ");
            }
            return evidence.toString();
        }

        public String heal(final ChaosCluster cluster)
        {
            return restartTogether(cluster, killed);
        }
    }

    private static final class Pause implements Fault
    {
        private final String name;
        private final Duration hold;
        private int paused;

        Pause(final String name, final Duration hold)
        {
            this.name = name;
            this.hold = hold;
        }

        public String name()
        {
            return name;
        }

        public Duration duration()
        {
            return hold;
        }

        public String inject(final ChaosCluster cluster, final Random random)
        {
            paused = random.nextInt(cluster.size());
            return "SIGSTOP " + cluster.nodeId(paused) + " for " + hold.toMillis() + " ms: " + cluster.pause(paused);
        }

        public String heal(final ChaosCluster cluster)
        {
            final String resumed = "SIGCONT " + cluster.nodeId(paused) + ": " + cluster.resume(paused);
            if (hold.compareTo(STALL) < 0)
            {
                return resumed;
            }
            // The woken node finds its Aeron client closed and replaces it: record that it did.
            final String metric = "rookery_transport_reconnects_total";
            final long deadlineNs = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            double reconnects = cluster.metric(paused, metric);
            while (!(reconnects >= 1) && System.nanoTime() - deadlineNs < 0)
            {
                try
                {
                    Thread.sleep(250);
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                    break;
                }
                reconnects = cluster.metric(paused, metric);
            }
            return resumed + "; " + metric + "=" + reconnects;
        }
    }

    private static final class Partition implements Fault
    {
        private final String name;
        private final Duration hold;
        private final Shape shape;
        private final List<Integer> affected = new ArrayList<>();

        Partition(final String name, final Duration hold, final Shape shape)
        {
            this.name = name;
            this.hold = hold;
            this.shape = shape;
        }

        public String name()
        {
            return name;
        }

        public Duration duration()
        {
            return hold;
        }

        public String unsupported(final ChaosCluster cluster)
        {
            return cluster.lab().canCutTraffic() ? null :
                "traffic cannot be cut on loopback (" + cluster.lab().why() + ")";
        }

        public String inject(final ChaosCluster cluster, final Random random)
        {
            affected.clear();
            final int n = cluster.size();
            final List<Integer> order = new ArrayList<>();
            for (int i = 0; i < n; i++)
            {
                order.add(i);
            }
            Collections.shuffle(order, random);
            switch (shape)
            {
                case ISOLATE_ONE ->
                {
                    final int lonely = order.get(0);
                    isolate(cluster, lonely, n);
                    return cluster.nodeId(lonely) + " cut off from every other node";
                }
                case ISOLATE_LEADERS ->
                {
                    final Map<String, Integer> led = new HashMap<>();
                    cluster.leaders().values().forEach(id -> led.merge(id, 1, Integer::sum));
                    final List<String> busiest = led.entrySet().stream()
                        .sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(2)
                        .map(Map.Entry::getKey).toList();
                    for (final String id : busiest)
                    {
                        isolate(cluster, cluster.indexOf(id), n);
                    }
                    return "leaders " + busiest + " (by partitions led " + led + ") each cut off from every node";
                }
                case HALVES ->
                {
                    final List<Integer> minority = order.subList(0, n / 2);
                    final List<Integer> majority = order.subList(n / 2, n);
                    cut(cluster, minority, majority);
                    return "minority " + ids(cluster, minority) + " | majority " + ids(cluster, majority);
                }
                case BRIDGE ->
                {
                    final int bridge = order.get(0);
                    final List<Integer> left = order.subList(1, 1 + (n - 1) / 2);
                    final List<Integer> right = order.subList(1 + (n - 1) / 2, n);
                    cut(cluster, left, right);
                    return ids(cluster, left) + " | " + ids(cluster, right) + " with " + cluster.nodeId(bridge) +
                        " seeing both";
                }
                case ONE_WAY ->
                {
                    final int deaf = order.get(0);
                    for (int i = 0; i < n; i++)
                    {
                        if (i != deaf)
                        {
                            cluster.lab().dropFrom(deaf, i);
                        }
                    }
                    affected.add(deaf);
                    return cluster.nodeId(deaf) + " receives nothing from the others but can still send";
                }
                case RANDOM_LOSS ->
                {
                    final int lossy = order.get(0);
                    cluster.lab().loss(lossy, 0.3);
                    affected.add(lossy);
                    return cluster.nodeId(lossy) + " drops 30% of what it receives";
                }
                default -> throw new IllegalStateException("shape " + shape);
            }
        }

        public String heal(final ChaosCluster cluster)
        {
            final StringBuilder evidence = new StringBuilder("dropped packets: ");
            for (final int i : affected)
            {
                evidence.append(cluster.nodeId(i)).append('=').append(cluster.lab().dropped(i)).append(' ');
            }
            cluster.lab().heal();
            return evidence.append("; rules flushed").toString();
        }

        private void isolate(final ChaosCluster cluster, final int lonely, final int n)
        {
            for (int i = 0; i < n; i++)
            {
                if (i != lonely)
                {
                    cluster.lab().cut(lonely, i);
                    remember(i);
                }
            }
            remember(lonely);
        }

        private void cut(final ChaosCluster cluster, final List<Integer> a, final List<Integer> b)
        {
            for (final int i : a)
            {
                for (final int j : b)
                {
                    cluster.lab().cut(i, j);
                }
                remember(i);
            }
            b.forEach(this::remember);
        }

        private void remember(final int i)
        {
            if (!affected.contains(i))
            {
                affected.add(i);
            }
        }

        private static String ids(final ChaosCluster cluster, final List<Integer> nodes)
        {
            return nodes.stream().map(cluster::nodeId).toList().toString();
        }
    }

    private static final class RestartAll implements Fault
    {
        private final String name;

        RestartAll(final String name)
        {
            this.name = name;
        }

        public String name()
        {
            return name;
        }

        public Duration duration()
        {
            return Duration.ZERO;
        }

        public String inject(final ChaosCluster cluster, final Random random)
        {
            final StringBuilder evidence = new StringBuilder();
            for (int i = 0; i < cluster.size(); i++)
            {
                evidence.append("kill -9 ").append(cluster.nodeId(i)).append(": ").append(cluster.kill9(i))
                    .append("; ");
            }
            return evidence.toString();
        }

        public String heal(final ChaosCluster cluster)
        {
            final List<Integer> all = new ArrayList<>();
            for (int i = 0; i < cluster.size(); i++)
            {
                all.add(i);
            }
            return restartTogether(cluster, all);
        }
    }

    /**
     * Partitions handed between groups by hand, through the admin API, while the workloads run: a
     * burst every two seconds for as long as the fault is held. Placement's balancer moves them back
     * afterwards, so each forced move is two handoffs.
     */
    private static final class MovePartitions implements Fault
    {
        private final String name;
        private final Duration hold;
        private final AtomicInteger started = new AtomicInteger();
        private final AtomicInteger refused = new AtomicInteger();
        private volatile boolean healed;
        private Thread mover;

        MovePartitions(final String name, final Duration hold)
        {
            this.name = name;
            this.hold = hold;
        }

        public String name()
        {
            return name;
        }

        public Duration duration()
        {
            return hold;
        }

        public String inject(final ChaosCluster cluster, final Random random)
        {
            final long seed = random.nextLong();
            final String first = burst(cluster, new Random(seed));
            mover = new Thread(() ->
            {
                final Random own = new Random(seed + 1);
                while (!healed)
                {
                    ChaosCluster.sleep(2000);
                    if (!healed)
                    {
                        burst(cluster, own);
                    }
                }
            }, "chaos-mover");
            mover.setDaemon(true);
            mover.start();
            return first;
        }

        private String burst(final ChaosCluster cluster, final Random random)
        {
            final com.fasterxml.jackson.databind.JsonNode view = cluster.view();
            if (view == null)
            {
                return "no node answered /cluster";
            }
            final List<String> moved = new ArrayList<>();
            final com.fasterxml.jackson.databind.JsonNode partitions = view.get("partitions");
            for (int i = 0; i < 6; i++)
            {
                final com.fasterxml.jackson.databind.JsonNode p = partitions.get(random.nextInt(partitions.size()));
                if (p.get("leader").isNull())
                {
                    continue;
                }
                final String to = cluster.nodeId(random.nextInt(cluster.size()));
                if (("g-" + to).equals(p.get("group").asText()))
                {
                    continue;
                }
                final int status = cluster.movePartition(p.get("partition").asInt(), p.get("leader").asText(), to);
                if (status == 202)
                {
                    started.incrementAndGet();
                    moved.add(p.get("partition").asInt() + "->g-" + to);
                }
                else
                {
                    refused.incrementAndGet();
                }
            }
            return "moves started " + moved;
        }

        public String heal(final ChaosCluster cluster)
        {
            healed = true;
            try
            {
                mover.join(10_000);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
            double released = 0;
            for (int i = 0; i < cluster.size(); i++)
            {
                final double value = cluster.metric(i, "rookery_partition_moves_total{step=\"released\"}");
                released += Double.isNaN(value) ? 0 : value;
            }
            return "forced moves started " + started.get() + ", refused " + refused.get() +
                "; handoffs completed so far (cluster-wide, with the balancer's) " + (long)released;
        }
    }

    /**
     * A node leaves for good (graceful stop, held past the grace period, so its replicas are replaced,
     * its group's partitions move to the other groups and the group retires), then a new node of the
     * same name joins with an empty data directory: it creates its group and partitions move to it.
     */
    private static final class LeaveJoin implements Fault
    {
        /** The nodes' default grace period (30 s), the balancer's settle time (5 s) and the moves. */
        static final Duration AWAY = Duration.ofSeconds(50);
        private final String name;
        private int node;

        LeaveJoin(final String name)
        {
            this.name = name;
        }

        public String name()
        {
            return name;
        }

        public Duration duration()
        {
            return AWAY;
        }

        public String inject(final ChaosCluster cluster, final Random random)
        {
            node = random.nextInt(cluster.size());
            return cluster.stop(node);
        }

        public String heal(final ChaosCluster cluster)
        {
            final com.fasterxml.jackson.databind.JsonNode view = cluster.view();
            final StringBuilder evidence = new StringBuilder();
            if (view != null)
            {
                boolean groupLeft = true;
                for (final com.fasterxml.jackson.databind.JsonNode g : view.get("groups"))
                {
                    if (g.get("name").asText().equals("g-" + cluster.nodeId(node)) && !g.path("retired").asBoolean())
                    {
                        groupLeft = false;
                        evidence.append("its group still holds ").append(g.get("partitionCount").asInt())
                            .append(" partitions; ");
                    }
                }
                if (groupLeft)
                {
                    evidence.append("its group was retired while it was away; ");
                }
            }
            return evidence + cluster.nodeId(node) + " " + cluster.joinAfresh(node, RESTART_TIMEOUT);
        }
    }

    /**
     * The upgrade procedure under load: `rookery restart`'s steps for every node in turn (drain,
     * stop asking to be restarted, the cluster's supervisor starts it again, wait until it is ready).
     * The whole tour happens in the injection; the heal has nothing left to undo.
     */
    private static final class RollingRestart implements Fault
    {
        private final String name;

        RollingRestart(final String name)
        {
            this.name = name;
        }

        public String name()
        {
            return name;
        }

        public Duration duration()
        {
            return Duration.ZERO;
        }

        public String inject(final ChaosCluster cluster, final Random random)
        {
            final StringBuilder evidence = new StringBuilder();
            for (int i = 0; i < cluster.size(); i++)
            {
                final long start = System.nanoTime();
                final long before = cluster.pid(i);
                final int code;
                try
                {
                    code = io.rookery.cli.RestartCommand.restart(cluster.nodeId(i), cluster.endpoints().get(i),
                        RESTART_TIMEOUT, new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
                }
                catch (final Exception ex)
                {
                    return evidence + cluster.nodeId(i) + " failed: " + ex;
                }
                evidence.append(cluster.nodeId(i)).append(code == 0 ? " back" : " NOT back (exit " + code + ")")
                    .append(" as pid ").append(cluster.pid(i)).append(cluster.pid(i) == before ? " (same!)" : "")
                    .append(" in ").append((System.nanoTime() - start) / 1_000_000).append(" ms; ");
                if (code != 0)
                {
                    break;
                }
            }
            return evidence.toString();
        }

        public String heal(final ChaosCluster cluster)
        {
            return "every node restarted in turn";
        }
    }

    /**
     * Delay or reordering with tc netem on one node, where the kernel has netem; reported as
     * skipped where it has not (this project's reference machine does not).
     */
    private static final class Netem implements Fault
    {
        private final String name;
        private final Duration hold;
        private final String spec;
        private int node;

        Netem(final String name, final Duration hold, final String spec)
        {
            this.name = name;
            this.hold = hold;
            this.spec = spec;
        }

        public String name()
        {
            return name;
        }

        public String unsupported(final ChaosCluster cluster)
        {
            return cluster.lab().netem() ? null : "tc netem is not available in this kernel (" +
                cluster.lab().mode() + " mode); no " + name + " injector";
        }

        public Duration duration()
        {
            return hold;
        }

        public String inject(final ChaosCluster cluster, final Random random)
        {
            node = random.nextInt(cluster.size());
            return cluster.nodeId(node) + ": " + cluster.lab().netem(node, spec);
        }

        public String heal(final ChaosCluster cluster)
        {
            return cluster.nodeId(node) + ": " + cluster.lab().clearNetem(node);
        }
    }
}
