package io.rookery.transport;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One log line per interval, on a clock the test controls.
 */
@Timeout(30)
class LogLimiterTest
{
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    @Test
    void theFirstLineAlwaysGetsThrough()
    {
        assertThat(new LogLimiter(5, TimeUnit.SECONDS).tryAcquire(0)).isEqualTo(1);
        assertThat(new LogLimiter(5, TimeUnit.SECONDS).tryAcquire(-123 * SECOND)).as("nanoTime may be negative")
            .isEqualTo(1);
        assertThat(new LogLimiter(5, TimeUnit.SECONDS).tryAcquire(Long.MAX_VALUE)).isEqualTo(1);
        assertThat(new LogLimiter(5, TimeUnit.SECONDS).tryAcquire(Long.MIN_VALUE + 1)).isEqualTo(1);
    }

    @Test
    void onePermitPerIntervalCountingWhatWasHeldBack()
    {
        final LogLimiter limiter = new LogLimiter(5, TimeUnit.SECONDS);
        final long t0 = 1_000 * SECOND;

        assertThat(limiter.tryAcquire(t0)).isEqualTo(1);
        assertThat(limiter.tryAcquire(t0)).isZero();
        assertThat(limiter.tryAcquire(t0 + SECOND)).isZero();
        assertThat(limiter.tryAcquire(t0 + 5 * SECOND - 1)).isZero();

        assertThat(limiter.tryAcquire(t0 + 5 * SECOND)).as("3 held back, plus this one").isEqualTo(4);
        assertThat(limiter.tryAcquire(t0 + 5 * SECOND + 1)).isZero();

        assertThat(limiter.tryAcquire(t0 + 10 * SECOND)).isEqualTo(2);
        assertThat(limiter.tryAcquire(t0 + 100 * SECOND)).as("a quiet period held nothing back").isEqualTo(1);
    }

    @Test
    void theIntervalRunsFromTheLastLineThatGotThrough()
    {
        final LogLimiter limiter = new LogLimiter(100, TimeUnit.MILLISECONDS);
        final long interval = TimeUnit.MILLISECONDS.toNanos(100);

        assertThat(limiter.tryAcquire(0)).isEqualTo(1);
        assertThat(limiter.tryAcquire(interval + 7)).isEqualTo(1);
        assertThat(limiter.tryAcquire(2 * interval)).as("only 93 ns after the last permit").isZero();
        assertThat(limiter.tryAcquire(2 * interval + 7)).isEqualTo(2);
    }

    @Test
    void worksAcrossTheWrapOfTheNanosecondClock()
    {
        final LogLimiter limiter = new LogLimiter(1, TimeUnit.SECONDS);
        final long t0 = Long.MAX_VALUE - SECOND / 2;

        assertThat(limiter.tryAcquire(t0)).isEqualTo(1);
        assertThat(limiter.tryAcquire(t0 + SECOND / 4)).isZero();
        assertThat(limiter.tryAcquire(t0 + SECOND / 2 + 10)).as("the clock wrapped").isZero();
        assertThat(limiter.tryAcquire(t0 + SECOND)).isEqualTo(3);
    }

    @Test
    void concurrentCallersGetExactlyOnePermitAndEveryLineIsCounted() throws Exception
    {
        final LogLimiter limiter = new LogLimiter(1, TimeUnit.SECONDS);
        final int threads = 4;
        final int callsPerThread = 10_000;
        assertThat(limiter.tryAcquire(0)).isEqualTo(1);

        final ExecutorService pool = Executors.newFixedThreadPool(threads);
        try
        {
            final CyclicBarrier start = new CyclicBarrier(threads);
            final List<Future<long[]>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++)
            {
                results.add(pool.submit(() ->
                {
                    start.await();
                    long permits = 0;
                    long sum = 0;
                    for (int i = 0; i < callsPerThread; i++)
                    {
                        final long got = limiter.tryAcquire(i < callsPerThread / 2 ? 1 : SECOND);
                        if (got > 0)
                        {
                            permits++;
                            sum += got;
                        }
                    }
                    return new long[] {permits, sum};
                }));
            }
            long permits = 0;
            long counted = 0;
            for (final Future<long[]> result : results)
            {
                final long[] r = result.get(20, TimeUnit.SECONDS);
                permits += r[0];
                counted += r[1];
            }

            assertThat(permits).as("one permit at t=1s, none before").isEqualTo(1);
            final long heldBackSince = limiter.tryAcquire(10 * SECOND);
            assertThat(counted + heldBackSince)
                .as("every call after the first is either in a permit's count or still held back, plus this one")
                .isEqualTo((long)threads * callsPerThread + 1);
        }
        finally
        {
            pool.shutdownNow();
        }
    }
}
