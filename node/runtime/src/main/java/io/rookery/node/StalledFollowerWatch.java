package io.rookery.node;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongFunction;

import io.rookery.raft.RaftGroups;

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
    private final Map<Long, Long> notBeforeMs = new HashMap<>();
    private long lastCheckMs = Long.MIN_VALUE;

    /**
     * @param timeout  silence after which a follower replica is restarted; zero picks none.
     * @param interval time between two checks.
     */
    StalledFollowerWatch(final Duration timeout, final Duration interval)
    {
        this.timeoutMs = timeout.toMillis();
        this.intervalMs = interval.toMillis();
    }

    /**
     * @param nowMs     the caller's clock.
     * @param groups    the groups this node holds a replica of.
     * @param followers this node's follower replica of a group, or null for none.
     * @return the follower replicas to be restarted now.
     */
    List<Stalled> due(
        final long nowMs, final Collection<Long> groups, final LongFunction<RaftGroups.FollowerSilence> followers)
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
            for (final long group : groups)
            {
                notBeforeMs.merge(group, nowMs + GRACE_TICKS_AFTER_GAP * intervalMs, Math::max);
            }
            return due;
        }
        notBeforeMs.keySet().retainAll(groups);
        for (final long group : groups)
        {
            if (nowMs < notBeforeMs.getOrDefault(group, Long.MIN_VALUE))
            {
                continue;
            }
            final RaftGroups.FollowerSilence follower = followers.apply(group);
            if (follower != null && follower.silence().toMillis() >= timeoutMs)
            {
                notBeforeMs.put(group, nowMs + timeoutMs);
                due.add(new Stalled(group, follower));
            }
        }
        return due;
    }

    /**
     * A follower replica picked for a restart.
     *
     * @param group    its group.
     * @param follower what it reported when picked.
     */
    record Stalled(long group, RaftGroups.FollowerSilence follower)
    {
    }
}
