package io.rookery.cli;

import java.net.ConnectException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One closed-loop load run: each of N loops sends a request, waits for its answer, records it and
 * sends the next, until the run ends. Answers during the warm-up are not counted. A loop's record
 * is only touched by its own chain of callbacks, one at a time, so it needs no locks.
 */
public final class LoadRun
{
    /**
     * What to run.
     *
     * @param endpoints   nodes' HTTP endpoints; loop i sends to endpoint i mod their number.
     * @param connections the number of loops.
     * @param duration    how long to count.
     * @param warmup      how long to run before counting.
     * @param keys        the number of distinct agents.
     * @param type        their type.
     * @param keyPrefix   their keys' prefix.
     * @param message     the message body.
     * @param tell        tell instead of ask.
     * @param timeout     a request's deadline (with {@code idempotent}, over all its attempts).
     * @param idempotent  each request carries its own idempotency key and is sent again, with the
     *                    same key, to the next node after a connection error, a timeout, a 503 or a
     *                    504, until answered or its deadline passes: every request is then applied
     *                    exactly once or reported in doubt, and its latency is what a client waited.
     */
    public record Settings(List<String> endpoints, int connections, Duration duration, Duration warmup, int keys,
        String type, String keyPrefix, String message, boolean tell, Duration timeout, boolean idempotent)
    {
        public Settings
        {
            if (endpoints.isEmpty())
            {
                throw new IllegalArgumentException("--via needs at least one endpoint");
            }
            if (connections < 1 || connections > 4096)
            {
                throw new IllegalArgumentException("--connections must be between 1 and 4096, not " + connections);
            }
            if (keys < 1)
            {
                throw new IllegalArgumentException("--keys must be at least 1, not " + keys);
            }
            if (duration.isNegative() || duration.isZero())
            {
                throw new IllegalArgumentException("--duration must be positive");
            }
            if (warmup.isNegative())
            {
                throw new IllegalArgumentException("--warmup must not be negative");
            }
        }
    }

    /**
     * What came of it.
     *
     * @param seconds         the counted time.
     * @param acknowledged    requests answered with a 2xx within the counted time.
     * @param errors          requests that failed within the counted time.
     * @param errorsByKind    the errors by kind (http status, timeout, connection), and the attempts
     *                        sent again ({@link #RETRIED}) or refused by a node ({@link #NOT_SENT}).
     * @param latenciesNs     the acknowledged requests' latencies, sorted.
     * @param acknowledgedAll requests answered with a 2xx over the whole run, warm-up and the
     *                        answers that came after the counted time included: with an increment
     *                        message and no request in doubt, exactly the increments applied.
     * @param inDoubt         requests over the whole run that got no definitive answer (they may or
     *                        may not have been applied).
     * @param slowest         the slowest acknowledged requests, slowest first, with when they were sent:
     *                        under faults, which fault they waited out.
     */
    public record Result(double seconds, long acknowledged, long errors, Map<String, Long> errorsByKind,
        long[] latenciesNs, long acknowledgedAll, long inDoubt, List<Slow> slowest)
    {
        public double opsPerSecond()
        {
            return seconds <= 0 ? 0 : acknowledged / seconds;
        }

        /**
         * @param q a quantile in [0, 1]; 1 is the maximum.
         * @return the latency at that quantile in milliseconds (nearest rank), or 0 without samples.
         */
        public double percentileMs(final double q)
        {
            return percentile(latenciesNs, q) / 1e6;
        }
    }

    /**
     * One slow request.
     *
     * @param sentAtS when it was first sent, in seconds from the start of the counted time.
     * @param ms      how long its caller waited for the answer.
     */
    public record Slow(double sentAtS, double ms)
    {
    }

    /** How many of the slowest requests a result names. */
    static final int SLOWEST = 5;

    /** The kind of a failure that proves the request never left: not an error, it goes to the next node. */
    static final String NOT_SENT = "connection refused (not sent; moved to the next node)";
    /** Attempts sent again with their idempotency key: not errors while the request is answered in the end. */
    static final String RETRIED = "sent again with its idempotency key";

    private static final java.util.concurrent.Executor RETRY =
        CompletableFuture.delayedExecutor(50, TimeUnit.MILLISECONDS);
    /** Makes this run's idempotency keys differ from any earlier run's. */
    private static final String RUN_ID = Long.toString(System.currentTimeMillis(), 36);

    private final Settings settings;
    private final java.util.concurrent.ExecutorService executor;
    private final Http http;
    private final String[] paths;
    private volatile long countFromNs;
    private volatile long stopAtNs;

    /**
     * @param settings what to run.
     */
    public LoadRun(final Settings settings)
    {
        this.settings = settings;
        // Two threads run the callbacks: the load generator should not outweigh the nodes it loads.
        this.executor = java.util.concurrent.Executors.newFixedThreadPool(2, r ->
        {
            final Thread t = new Thread(r, "rookery-bench-http");
            t.setDaemon(true);
            return t;
        });
        this.http = new Http(settings.timeout(), executor);
        this.paths = new String[settings.keys()];
        for (int i = 0; i < paths.length; i++)
        {
            paths[i] = Http.agentPath(settings.type(), settings.keyPrefix() + i) +
                (settings.tell() ? "?mode=tell" : "");
        }
    }

    /**
     * Runs the load for the warm-up and the duration, then waits for the requests still out.
     *
     * @return what was counted.
     * @throws InterruptedException when interrupted while waiting.
     */
    public Result run() throws InterruptedException
    {
        try
        {
            return runLoops();
        }
        finally
        {
            executor.shutdownNow();
        }
    }

    private Result runLoops() throws InterruptedException
    {
        final long startNs = System.nanoTime();
        countFromNs = startNs + settings.warmup().toNanos();
        stopAtNs = countFromNs + settings.duration().toNanos();
        final Loop[] loops = new Loop[settings.connections()];
        for (int i = 0; i < loops.length; i++)
        {
            loops[i] = new Loop(i, i % settings.endpoints().size());
            loops[i].next();
        }
        TimeUnit.NANOSECONDS.sleep(Math.max(0, stopAtNs - System.nanoTime()));
        final long graceNs = settings.timeout().toNanos() + TimeUnit.SECONDS.toNanos(2);
        for (final Loop loop : loops)
        {
            try
            {
                loop.done.get(Math.max(1, stopAtNs + graceNs - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
            catch (final java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException ex)
            {
                // A loop whose last request outlived the grace: what it counted so far stands.
            }
        }
        long acknowledged = 0;
        long acknowledgedAll = 0;
        long inDoubt = 0;
        long errors = 0;
        int samples = 0;
        final Map<String, Long> byKind = new TreeMap<>();
        for (final Loop loop : loops)
        {
            synchronized (loop)
            {
                acknowledged += loop.count;
                acknowledgedAll += loop.acknowledgedAll;
                inDoubt += loop.inDoubt;
                samples += loop.count;
                for (final Map.Entry<String, Long> e : loop.errors.entrySet())
                {
                    byKind.merge(e.getKey(), e.getValue(), Long::sum);
                    errors += e.getKey().equals(NOT_SENT) || e.getKey().equals(RETRIED) ? 0 : e.getValue();
                }
            }
        }
        final long[] all = new long[samples];
        int at = 0;
        for (final Loop loop : loops)
        {
            synchronized (loop)
            {
                System.arraycopy(loop.latencies, 0, all, at, loop.count);
                at += loop.count;
            }
        }
        Arrays.sort(all);
        final List<Slow> slowest = new java.util.ArrayList<>();
        for (final Loop loop : loops)
        {
            synchronized (loop)
            {
                for (int i = 0; i < SLOWEST; i++)
                {
                    if (loop.slowNs[i] > 0)
                    {
                        slowest.add(new Slow((loop.slowSentNs[i] - countFromNs) / 1e9, loop.slowNs[i] / 1e6));
                    }
                }
            }
        }
        slowest.sort(java.util.Comparator.comparingDouble(Slow::ms).reversed());
        return new Result(settings.duration().toNanos() / 1e9, acknowledged, errors, byKind, all, acknowledgedAll,
            inDoubt, List.copyOf(slowest.subList(0, Math.min(SLOWEST, slowest.size()))));
    }

    static long percentile(final long[] sorted, final double q)
    {
        if (sorted.length == 0)
        {
            return 0;
        }
        final int rank = (int)Math.ceil(q * sorted.length);
        return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
    }

    static String errorKind(final Throwable failure)
    {
        final Throwable cause = failure instanceof CompletionException && failure.getCause() != null ?
            failure.getCause() : failure;
        if (cause instanceof HttpTimeoutException)
        {
            return "timeout";
        }
        if (cause instanceof ConnectException)
        {
            return NOT_SENT;
        }
        return "connection: " + cause.getClass().getSimpleName();
    }

    private final class Loop
    {
        final CompletableFuture<Void> done = new CompletableFuture<>();
        final Map<String, Long> errors = new TreeMap<>();
        final String idPrefix;
        long[] latencies = new long[1024];
        final long[] slowNs = new long[SLOWEST];
        final long[] slowSentNs = new long[SLOWEST];
        int count;
        long acknowledgedAll;
        long inDoubt;
        long sequence;
        int endpoint;

        Loop(final int index, final int endpoint)
        {
            this.idPrefix = settings.keyPrefix() + RUN_ID + "-" + index + "-";
            this.endpoint = endpoint;
        }

        void next()
        {
            final long sentNs = System.nanoTime();
            if (sentNs - stopAtNs >= 0)
            {
                done.complete(null);
                return;
            }
            final String path = paths[ThreadLocalRandom.current().nextInt(paths.length)];
            send(path, settings.idempotent() ? idPrefix + sequence++ : null, sentNs);
        }

        /** One attempt of a request first sent at {@code sentNs}. */
        private void send(final String path, final String idempotencyKey, final long sentNs)
        {
            final List<String> endpoints = settings.endpoints();
            http.postAsync(endpoints.get(endpoint), path, settings.message(), idempotencyKey)
                .whenComplete((reply, failure) -> answered(path, idempotencyKey, sentNs, reply, failure));
        }

        private void answered(final String path, final String idempotencyKey, final long sentNs,
            final Http.Reply reply, final Throwable failure)
        {
            final List<String> endpoints = settings.endpoints();
            final long answeredNs = System.nanoTime();
            final boolean notSent = failure != null && NOT_SENT.equals(errorKind(failure));
            final boolean inDoubtNow = failure != null || reply.status() == 503 || reply.status() == 504;
            final boolean withinDeadline = answeredNs - sentNs < settings.timeout().toNanos();
            if (inDoubtNow)
            {
                // A node that refused the connection, or that left a request in doubt: the
                // next attempt, or the next request, goes to the next node.
                endpoint = (endpoint + 1) % endpoints.size();
            }
            if (withinDeadline && (notSent || (inDoubtNow && idempotencyKey != null)))
            {
                // Refused: it never left, so sending it again is safe with or without a key. In
                // doubt with a key: the key makes sending it again safe. Pause a little, so a
                // dead node does not spin, and the next attempt does not recurse on this stack.
                tally(notSent ? NOT_SENT : RETRIED);
                RETRY.execute(() -> send(path, idempotencyKey, sentNs));
                return;
            }
            record(reply, failure, sentNs, answeredNs);
            if (failure != null)
            {
                RETRY.execute(this::next);
            }
            else
            {
                next();
            }
        }

        private void noteIfSlow(final long latencyNs, final long sentNs)
        {
            int fastest = 0;
            for (int i = 1; i < SLOWEST; i++)
            {
                if (slowNs[i] < slowNs[fastest])
                {
                    fastest = i;
                }
            }
            if (latencyNs > slowNs[fastest])
            {
                slowNs[fastest] = latencyNs;
                slowSentNs[fastest] = sentNs;
            }
        }

        private synchronized void tally(final String kind)
        {
            errors.merge(kind, 1L, Long::sum);
        }

        private synchronized void record(
            final Http.Reply reply, final Throwable failure, final long sentNs, final long answeredNs)
        {
            final boolean ok = failure == null && reply.status() / 100 == 2;
            if (ok)
            {
                acknowledgedAll++;
            }
            else if (failure != null || reply.status() == 503 || reply.status() == 504)
            {
                inDoubt++;
            }
            if (sentNs - countFromNs < 0 || answeredNs - stopAtNs >= 0)
            {
                return;
            }
            if (ok)
            {
                if (count == latencies.length)
                {
                    latencies = Arrays.copyOf(latencies, count * 2);
                }
                latencies[count++] = answeredNs - sentNs;
                noteIfSlow(answeredNs - sentNs, sentNs);
                return;
            }
            errors.merge(failure != null ? errorKind(failure) : "http " + reply.status(), 1L, Long::sum);
        }
    }
}
