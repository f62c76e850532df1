package io.rookery.node;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.rookery.raft.RaftGroups.FollowerSilence;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class StalledFollowerWatchTest
{
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final Duration TICK = Duration.ofSeconds(1);

    private final Map<Long, FollowerSilence> followers = new HashMap<>();
    private final StalledFollowerWatch watch = new StalledFollowerWatch(TIMEOUT, TICK);
    private long nowMs = 1_000_000;

    @Test
    void aFollowerSilentForTheTimeoutIsPickedOnceThenAgainOnlyAfterAnotherTimeout()
    {
        silent(1, 29_999);
        silent(2, 30_000);
        assertThat(tick()).containsExactly(2L);
        for (int i = 0; i < 29; i++)
        {
            silent(2, 31_000 + i * 1_000L);
            assertThat(tick()).as("second %d after the restart", i + 1).isEmpty();
        }
        silent(2, 60_000);
        assertThat(tick()).containsExactly(2L);
    }

    @Test
    void leadersCandidatesAndAbsentReplicasAreNeverPicked()
    {
        followers.put(0L, null);
        assertThat(tick()).isEmpty();
    }

    @Test
    void aGapBetweenChecksHoldsEveryPickForAFewTicks()
    {
        assertThat(tick()).isEmpty();
        silent(3, 70_000);
        nowMs += 10_000;
        assertThat(partitions(watch.due(nowMs, followers.keySet(), followers::get))).as("first check after a pause")
            .isEmpty();
        for (int i = 1; i < StalledFollowerWatch.GRACE_TICKS_AFTER_GAP; i++)
        {
            assertThat(tick()).as("tick %d after the pause", i).isEmpty();
        }
        assertThat(tick()).as("the grace is over and the follower is still silent").containsExactly(3L);
    }

    @Test
    void aZeroTimeoutTurnsTheWatchOff()
    {
        final StalledFollowerWatch off = new StalledFollowerWatch(Duration.ZERO, TICK);
        silent(0, 3_600_000);
        assertThat(partitions(off.due(nowMs, followers.keySet(), followers::get))).isEmpty();
    }

    private static List<Long> partitions(final List<StalledFollowerWatch.Stalled> stalled)
    {
        return stalled.stream().map(StalledFollowerWatch.Stalled::group).toList();
    }

    private void silent(final long group, final long ms)
    {
        followers.put(group, new FollowerSilence(Duration.ofMillis(ms), 1, "n9"));
    }

    private List<Long> tick()
    {
        nowMs += TICK.toMillis();
        return partitions(watch.due(nowMs, followers.keySet(), followers::get));
    }
}
