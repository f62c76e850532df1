package io.rookery.node;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

import io.rookery.api.AgentId;
import io.rookery.api.Codecs;
import io.rookery.raft.PartitionGroups;
import io.rookery.testing.TestCluster;
import org.apache.ratis.util.CodeInjectionForTesting;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A Ratis follower does not stand for election while it counts an append as in progress, and an
 * append that fails after being counted stays counted: that follower's election timer has stopped.
 * When both followers of a group are in that state and their leader dies, nobody stands and the
 * group stays leaderless (the second test shows it). Each node watches its followers and restarts,
 * in place, a replica that has heard from no leader for far longer than an election timeout; the
 * restarted replica has a fresh timer and the group elects a leader, with its data intact.
 * <p>
 * The stopped timers are made with Ratis's own fault-injection point, which runs after a follower
 * has counted an append and before it finishes it.
 */
@Timeout(300)
class StalledFollowerIT
{
    private static final String APPEND_COUNTED = "RaftServerImpl.appendEntries.logComplete";
    private static final byte[] INCREMENT = "{\"op\":\"increment\",\"by\":1}".getBytes(StandardCharsets.UTF_8);

    @AutoClose
    private TestCluster cluster;

    @AfterEach
    void removeInjection()
    {
        CodeInjectionForTesting.remove(APPEND_COUNTED);
    }

    @Test
    void aGroupWhoseFollowersStoppedTheirElectionTimersGetsALeaderAfterItsLeaderDies()
    {
        // Leaders stay where they are, so the partitions picked below are still the victim's when it dies.
        cluster = TestCluster.start(3, ctx -> ctx.stalledFollowerTimeout(Duration.ofSeconds(10)).balanceLeaders(false));
        cluster.awaitAllPartitionsLed(Duration.ofSeconds(60));
        final RookeryNode victim = cluster.busiestLeader();
        final Set<Integer> led = TestCluster.partitionsServedBy(victim);
        final List<RookeryNode> survivors = cluster.running().stream().filter(n -> n != victim).toList();
        final List<AgentId> counters = counterIn(victim, led);
        incrementAll(counters, survivors);

        stopElectionTimers(survivors, led);
        assertThat(followerViews(survivors.get(0), led)).as("/cluster?scope=local of a follower of " + led)
            .allSatisfy(partition -> assertThat(partition.get("appendsInProgress")).as("%s", partition)
                .isInstanceOf(Integer.class).matches(n -> (Integer)n > 0));
        cluster.killNode(cluster.indexOf(victim.nodeId()));

        cluster.awaitAllPartitionsLed(Duration.ofSeconds(90));
        final long restarts = survivors.stream().mapToLong(RookeryNode::stalledReplicaRestarts).sum();
        assertThat(restarts).as("replicas restarted for a stopped election timer").isGreaterThanOrEqualTo(led.size());
        for (final int p : led)
        {
            assertThat(cluster.servingLeader(p).nodeId()).isNotEqualTo(victim.nodeId());
        }
        incrementAll(counters, survivors);
        for (final AgentId counter : counters)
        {
            final Response read = survivors.get(0).read(counter).join();
            assertThat(read.isOk()).as(read.payloadText()).isTrue();
            assertThat(Codecs.parseJson(read.payload()).get("state").asLong()).as("%s after the heal", counter)
                .isEqualTo(2);
        }
    }

    @Test
    void withoutTheWatchTheGroupStaysLeaderless()
    {
        cluster = TestCluster.start(3, ctx -> ctx.stalledFollowerTimeout(Duration.ZERO).balanceLeaders(false));
        cluster.awaitAllPartitionsLed(Duration.ofSeconds(60));
        final RookeryNode victim = cluster.busiestLeader();
        final Set<Integer> led = TestCluster.partitionsServedBy(victim);
        final List<RookeryNode> survivors = cluster.running().stream().filter(n -> n != victim).toList();

        stopElectionTimers(survivors, led);
        cluster.killNode(cluster.indexOf(victim.nodeId()));

        // Fifteen seconds is seven maximum election timeouts: a group with a working timer elects in one or two.
        final long deadlineNs = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (System.nanoTime() - deadlineNs < 0)
        {
            for (final int p : led)
            {
                assertThat(cluster.servingLeader(p)).as("partition %d with stopped election timers", p).isNull();
            }
            LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
        }
        assertThat(survivors.stream().mapToLong(RookeryNode::stalledReplicaRestarts).sum()).isZero();
    }

    /**
     * Makes every follower on the given nodes fail one append after counting it, then stops
     * failing once each follower replica of the given partitions holds such a leaked count.
     */
    private void stopElectionTimers(final List<RookeryNode> followers, final Set<Integer> partitions)
    {
        final Set<String> ids = followers.stream().map(RookeryNode::nodeId).collect(Collectors.toSet());
        CodeInjectionForTesting.put(APPEND_COUNTED, (localId, remoteId, args) ->
        {
            if (ids.contains(String.valueOf(localId)))
            {
                throw new IllegalStateException("injected: an append failing after it was counted");
            }
            return false;
        });
        try
        {
            cluster.await("each follower of " + partitions + " counts an append it will never finish",
                Duration.ofSeconds(30), () -> followers.stream().allMatch(node -> partitions.stream().allMatch(p ->
                {
                    final PartitionGroups.FollowerSilence follower = node.groups().followerSilence(p);
                    return follower != null && follower.outstandingAppends() > 0;
                })));
        }
        finally
        {
            CodeInjectionForTesting.remove(APPEND_COUNTED);
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> followerViews(final RookeryNode node, final Set<Integer> partitions)
    {
        final List<Map<String, Object>> views = new ArrayList<>();
        for (final Map<String, Object> partition : (List<Map<String, Object>>)node.clusterView(false).get("partitions"))
        {
            if (partitions.contains((Integer)partition.get("partition")))
            {
                views.add(partition);
            }
        }
        assertThat(views).hasSameSizeAs(partitions);
        return views;
    }

    private static List<AgentId> counterIn(final RookeryNode node, final Set<Integer> partitions)
    {
        final List<AgentId> counters = new ArrayList<>();
        for (final int p : partitions)
        {
            for (int i = 0; ; i++)
            {
                final AgentId id = AgentId.of("counter", "stalled-" + i);
                if (node.partitionOf(id) == p)
                {
                    counters.add(id);
                    break;
                }
            }
        }
        return counters;
    }

    private static void incrementAll(final List<AgentId> counters, final List<RookeryNode> via)
    {
        for (int i = 0; i < counters.size(); i++)
        {
            final Response response = via.get(i % via.size()).ask(counters.get(i), INCREMENT).join();
            assertThat(response.isOk()).as("%s: %s", counters.get(i), response.payloadText()).isTrue();
        }
    }
}
