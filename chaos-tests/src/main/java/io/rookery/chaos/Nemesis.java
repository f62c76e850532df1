package io.rookery.chaos;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import io.rookery.chaos.nemesis.Fault;

/**
 * Runs a schedule of faults, one after another with calm in between, and keeps the timeline:
 * when each fault started and ended and the evidence that it took effect.
 */
public final class Nemesis
{
    private final ChaosCluster cluster;
    private final History history;
    private final Random random;

    /**
     * One fault of the timeline.
     *
     * @param fault          its name.
     * @param startMs        when it was injected (ms since the run started).
     * @param endMs          when it was healed.
     * @param injected       evidence of the injection.
     * @param healed         evidence of the heal.
     * @param skipped        why it did not run, or null.
     */
    public record Event(String fault, long startMs, long endMs, String injected, String healed, String skipped)
    {
        Map<String, Object> toMap()
        {
            final Map<String, Object> map = new LinkedHashMap<>();
            map.put("fault", fault);
            map.put("startMs", startMs);
            map.put("endMs", endMs);
            map.put("injected", injected);
            map.put("healed", healed);
            map.put("skipped", skipped);
            return map;
        }

        String describe()
        {
            if (skipped != null)
            {
                return String.format("%-16s SKIPPED: %s", fault, skipped);
            }
            return String.format("%-16s %7.1f s - %7.1f s | %s | %s", fault, startMs / 1000.0, endMs / 1000.0, injected,
                healed);
        }
    }

    /**
     * Two faults at once.
     */
    public static final class Mixture implements Fault
    {
        private final Fault first;
        private final Fault second;

        /**
         * @param first  one fault.
         * @param second another, injected after the first.
         */
        public Mixture(final Fault first, final Fault second)
        {
            this.first = first;
            this.second = second;
        }

        public String name()
        {
            return first.name() + "+" + second.name();
        }

        public String unsupported(final ChaosCluster cluster)
        {
            final String a = first.unsupported(cluster);
            return a != null ? a : second.unsupported(cluster);
        }

        public String inject(final ChaosCluster cluster, final Random random)
        {
            return first.inject(cluster, random) + " AND " + second.inject(cluster, random);
        }

        public Duration duration()
        {
            return first.duration().compareTo(second.duration()) > 0 ? first.duration() : second.duration();
        }

        /**
         * Heals both at once: a restarted node is ready only when its partitions have leaders, and
         * with two kill faults that may need the node the other heal restarts.
         */
        public String heal(final ChaosCluster cluster)
        {
            final List<String> evidence = ChaosCluster.together(List.of(() -> second.heal(cluster),
                () -> first.heal(cluster)));
            return String.join(" AND ", evidence);
        }
    }

    Nemesis(final ChaosCluster cluster, final History history, final Random random)
    {
        this.cluster = cluster;
        this.history = history;
        this.random = random;
    }

    List<Event> run(final List<Fault> schedule, final Duration calm)
    {
        final List<Event> timeline = new ArrayList<>();
        for (final Fault fault : schedule)
        {
            ChaosCluster.sleep(calm.toMillis());
            final String unsupported = fault.unsupported(cluster);
            final long start = history.now() / 1_000_000;
            if (unsupported != null)
            {
                System.out.printf("  [%6.1f s] %s skipped: %s%n", start / 1000.0, fault.name(), unsupported);
                timeline.add(new Event(fault.name(), start, start, null, null, unsupported));
                continue;
            }
            String injected;
            try
            {
                injected = fault.inject(cluster, random);
            }
            catch (final RuntimeException ex)
            {
                injected = "injection failed: " + ex.getMessage();
            }
            System.out.printf("  [%6.1f s] %s injected: %s%n", start / 1000.0, fault.name(), injected);
            ChaosCluster.sleep(fault.duration().toMillis());
            String healed;
            try
            {
                healed = fault.heal(cluster);
            }
            catch (final RuntimeException ex)
            {
                healed = "heal failed: " + ex.getMessage();
            }
            final long end = history.now() / 1_000_000;
            System.out.printf("  [%6.1f s] %s healed: %s%n", end / 1000.0, fault.name(), healed);
            timeline.add(new Event(fault.name(), start, end, injected, healed, null));
        }
        return timeline;
    }
}
