package io.rookery.chaos.workload;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import io.rookery.chaos.ChaosCluster;
import io.rookery.chaos.History;
import io.rookery.chaos.Violation;
import io.rookery.client.RookeryClient;

/**
 * Increments of counters, retried by clients as new attempts, and linearizable reads. Every read
 * must lie between the increments acknowledged before it began and the increments attempted
 * before it ended; so must the final value.
 */
public final class CounterWorkload extends AbstractWorkload
{
    private static final int KEYS = 8;

    private record Increment(String key, long invokeNs, long completeNs, String outcome)
    {
    }

    private record Read(String key, long invokeNs, long completeNs, long value)
    {
    }

    private final List<Increment> increments = new ArrayList<>();
    private final List<Read> reads = new ArrayList<>();

    /**
     * @param history the run's history.
     * @param client  client over every node.
     * @param seed    random seed.
     */
    public CounterWorkload(final History history, final RookeryClient client, final long seed)
    {
        super(history, client, 2, seed);
    }

    public String name()
    {
        return "counter";
    }

    public void setUp(final ChaosCluster cluster)
    {
    }

    void operate(final int process, final Random random)
    {
        final String key = "chaos-c-" + random.nextInt(KEYS);
        if (random.nextInt(4) > 0)
        {
            final long invoke = history.now();
            history.record(process, name(), "invoke", "increment", key, 1, invoke);
            String outcome;
            try
            {
                client.ask("counter", key, "{\"op\":\"increment\"}").join();
                outcome = "ok";
            }
            catch (final RuntimeException ex)
            {
                outcome = classify(ex);
            }
            final long complete = history.now();
            history.record(process, name(), outcome, "increment", key, 1, complete);
            count("increment:" + outcome);
            synchronized (increments)
            {
                increments.add(new Increment(key, invoke, complete, outcome));
            }
            if (!"ok".equals(outcome))
            {
                pause(50);
            }
        }
        else
        {
            read(process, key);
        }
    }

    private boolean read(final int process, final String key)
    {
        final long invoke = history.now();
        history.record(process, name(), "invoke", "read", key, null, invoke);
        try
        {
            final long value = client.state("counter", key).join().asLong();
            final long complete = history.now();
            history.record(process, name(), "ok", "read", key, value, complete);
            count("read:ok");
            synchronized (reads)
            {
                reads.add(new Read(key, invoke, complete, value));
            }
            return true;
        }
        catch (final RuntimeException ex)
        {
            history.record(process, name(), "info", "read", key, null, history.now());
            count("read:info");
            pause(50);
            return false;
        }
    }

    public List<Violation> check(final ChaosCluster cluster, final Duration deadline)
    {
        final long until = System.nanoTime() + deadline.toNanos();
        for (int k = 0; k < KEYS; k++)
        {
            while (!read(-1, "chaos-c-" + k) && System.nanoTime() < until)
            {
                pause(200);
            }
        }
        final List<Violation> violations = new ArrayList<>();
        final List<Increment> incs;
        final List<Read> rs;
        synchronized (increments)
        {
            incs = List.copyOf(increments);
        }
        synchronized (reads)
        {
            rs = List.copyOf(reads);
        }
        final java.util.Map<String, long[]> acknowledgedAt = new java.util.HashMap<>();
        final java.util.Map<String, long[]> attemptedAt = new java.util.HashMap<>();
        for (int k = 0; k < KEYS; k++)
        {
            final String key = "chaos-c-" + k;
            acknowledgedAt.put(key, incs.stream().filter(i -> i.key().equals(key) && "ok".equals(i.outcome()))
                .mapToLong(Increment::completeNs).sorted().toArray());
            attemptedAt.put(key, incs.stream().filter(i -> i.key().equals(key) && !"fail".equals(i.outcome()))
                .mapToLong(Increment::invokeNs).sorted().toArray());
        }
        for (final Read read : rs)
        {
            final long lower = countBefore(acknowledgedAt.get(read.key()), read.invokeNs());
            final long upper = countBefore(attemptedAt.get(read.key()), read.completeNs());
            if (read.value() < lower)
            {
                violations.add(new Violation(name(), "lost increments: read of " + read.key() + " at " +
                    read.invokeNs() + " ns returned " + read.value() + " but " + lower +
                    " increments were acknowledged before it began"));
            }
            if (read.value() > upper)
            {
                violations.add(new Violation(name(), "phantom increments: read of " + read.key() + " at " +
                    read.invokeNs() + " ns returned " + read.value() + " but only " + upper +
                    " increments were attempted before it ended"));
            }
        }
        return violations;
    }

    private static long countBefore(final long[] sorted, final long time)
    {
        int low = 0;
        int high = sorted.length;
        while (low < high)
        {
            final int mid = (low + high) >>> 1;
            if (sorted[mid] < time)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }
        return low;
    }
}
