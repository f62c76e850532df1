package io.rookery.node;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

import io.rookery.raft.PartitionGroups;

/**
 * Picks this node's follower replicas whose election timer has stopped: silent (no request from a
 * leader) for the stalled-follower time, which a working timer never allows, since a follower that
 * hears nothing stands for election within an election timeout and starts a fresh follower term
 * after each failed attempt. Each replica is picked at most once per stalled-follower time.
 * <p>
 * Checks arrive once per placement tick. A gap much longer than a tick means this process was
 * paused or starved, and every silence it reads includes the gap, so nothing is picked until the
 * leaders have had a few ticks to reach it again. Time is a parameter: the clock is the caller's.
 */
final class StalledFollowerWatch
{
    static final int GRACE_TICKS_AFTER_GAP = 5;
    static final int GAP_TICKS = 3;

    private final long timeoutMs;
    private final long intervalMs;
    private final long[] notBeforeMs;
    private long lastCheckMs = Long.MIN_VALUE;

    /**
     * @param timeout    silence after which a follower replica is restarted; zero picks none.
     * @param interval   time between two checks.
     * @param partitions partition count.
     */
    StalledFollowerWatch(final Duration timeout, final Duration interval, final int partitions)
    {
        this.timeoutMs = timeout.toMillis();
        this.intervalMs = interval.toMillis();
        this.notBeforeMs = new long[partitions];
    }

    /**
     * @param nowMs     the caller's clock.
     * @param followers this node's follower replica of a partition, or null for none.
     * @return the follower replicas to be restarted now.
     */
    List<Stalled> due(final long nowMs, final IntFunction<PartitionGroups.FollowerSilence> followers)
    {
        final boolean afterGap = lastCheckMs != Long.MIN_VALUE && nowMs - lastCheckMs > GAP_TICKS * intervalMs;
        lastCheckMs = nowMs;
        final List<Stalled> due = new ArrayList<>();
        if (timeoutMs == 0)
        {
            return due;
        }
        if (afterGap)
        {
            for (int p = 0; p < notBeforeMs.length; p++)
            {
                notBeforeMs[p] = Math.max(notBeforeMs[p], nowMs + GRACE_TICKS_AFTER_GAP * intervalMs);
            }
            return due;
        }
        for (int p = 0; p < notBeforeMs.length; p++)
        {
            if (nowMs < notBeforeMs[p])
            {
                continue;
            }
            final PartitionGroups.FollowerSilence follower = followers.apply(p);
            if (follower != null && follower.silence().toMillis() >= timeoutMs)
            {
                notBeforeMs[p] = nowMs + timeoutMs;
                due.add(new Stalled(p, follower));
            }
        }
        return due;
    }

    /**
     * A follower replica picked for a restart.
     *
     * @param partition its partition.
     * @param follower  what it reported when picked.
     */
    record Stalled(int partition, PartitionGroups.FollowerSilence follower)
    {
    }
}
