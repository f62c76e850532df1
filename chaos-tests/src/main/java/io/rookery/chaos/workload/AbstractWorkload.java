package io.rookery.chaos.workload;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import io.rookery.chaos.History;
import io.rookery.client.RookeryClient;
import io.rookery.client.RookeryException;

/**
 * Client threads, outcome classification and counting shared by the workloads.
 */
abstract class AbstractWorkload implements Workload
{
    private static final int FIRST_PROCESS = 0;
    private static final AtomicLong PROCESSES = new AtomicLong(FIRST_PROCESS);

    final History history;
    final RookeryClient client;
    final long seed;
    private final int threads;
    private final List<Thread> running = new ArrayList<>();
    private final Map<String, AtomicLong> stats = new ConcurrentHashMap<>();
    volatile boolean stopped;

    AbstractWorkload(final History history, final RookeryClient client, final int threads, final long seed)
    {
        this.history = history;
        this.client = client;
        this.threads = threads;
        this.seed = seed;
    }

    /**
     * One operation of the workload, by one client thread.
     */
    abstract void operate(int process, Random random);

    public void start()
    {
        for (int t = 0; t < threads; t++)
        {
            final int process = (int)PROCESSES.getAndIncrement();
            final Random random = new Random(seed * 31 + process);
            final Thread thread = new Thread(() ->
            {
                while (!stopped)
                {
                    operate(process, random);
                }
            }, name() + "-client-" + process);
            thread.setDaemon(true);
            running.add(thread);
            thread.start();
        }
    }

    public void stop()
    {
        stopped = true;
        for (final Thread thread : running)
        {
            try
            {
                thread.join(30_000);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
    }

    public Map<String, Long> stats()
    {
        final Map<String, Long> counts = new TreeMap<>();
        stats.forEach((k, v) -> counts.put(k, v.get()));
        return counts;
    }

    void count(final String what)
    {
        stats.computeIfAbsent(what, k -> new AtomicLong()).incrementAndGet();
    }

    /**
     * @return "fail" when the cluster said the operation was not applied, "info" when the
     * outcome is unknown.
     */
    static String classify(final Throwable failure)
    {
        final Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
        if (cause instanceof RookeryException rookery)
        {
            final int code = rookery.httpStatus();
            if (code == 400 || code == 404 || code == 413 || code == 422 || code == 429)
            {
                return "fail";
            }
        }
        return "info";
    }

    static RookeryException rookery(final Throwable failure)
    {
        final Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
        return cause instanceof RookeryException rookery ? rookery : null;
    }

    static void pause(final long millis)
    {
        try
        {
            Thread.sleep(millis);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
