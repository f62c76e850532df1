package io.rookery.node;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import io.rookery.api.AgentId;
import io.rookery.api.Codecs;
import io.rookery.raft.GroupKeys;
import io.rookery.raft.RaftGroups;
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
        // Leaders stay where they are, so the groups picked below are still the victim's when it dies.
        cluster = TestCluster.start(3, ctx -> ctx.stalledFollowerTimeout(Duration.ofSeconds(10)).balanceLeaders(false));
        cluster.awaitSettled(Duration.ofSeconds(60));
        final RookeryNode victim = cluster.busiestLeader();
        final Set<Integer> led = TestCluster.partitionsServedBy(victim);
        final Set<Long> groups = ledGroups(victim);
        final List<RookeryNode> survivors = cluster.running().stream().filter(n -> n != victim).toList();
        final List<AgentId> counters = counterIn(victim, led);
        incrementAll(counters, survivors);

        stopElectionTimers(survivors, groups);
        assertThat(followerViews(survivors.get(0), groups)).as("/cluster?scope=local of a follower of " + groups)
            .allSatisfy(group -> assertThat(group.get("appendsInProgress")).as("%s", group)
                .isInstanceOf(Integer.class).matches(n -> (Integer)n > 0));
        cluster.killNode(cluster.indexOf(victim.nodeId()));

        cluster.awaitSettled(Duration.ofSeconds(90));
        final long restarts = survivors.stream().mapToLong(RookeryNode::stalledReplicaRestarts).sum();
        assertThat(restarts).as("replicas restarted for a stopped election timer")
            .isGreaterThanOrEqualTo(groups.size());
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
        cluster.awaitSettled(Duration.ofSeconds(60));
        final RookeryNode victim = cluster.busiestLeader();
        final Set<Integer> led = TestCluster.partitionsServedBy(victim);
        final List<RookeryNode> survivors = cluster.running().stream().filter(n -> n != victim).toList();

        stopElectionTimers(survivors, ledGroups(victim));
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
     * Makes every follower on the given nodes fail appends after counting them, until each follower
     * replica of the given groups holds such a leaked count. A count sampled while the failures are
     * injected may also be an append that is merely in flight, so it is sampled again after the
     * injection is gone and the follower has since heard from its leader (in-flight appends are
     * then finished); a replica that shows no count then never leaked one, and the round repeats.
     */
    private void stopElectionTimers(final List<RookeryNode> followers, final Set<Long> groups)
    {
        final Set<String> ids = followers.stream().map(RookeryNode::nodeId).collect(Collectors.toSet());
        for (int round = 1; ; round++)
        {
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
                cluster.await("each follower of " + groups + " counts an append", Duration.ofSeconds(30),
                    () -> allFollowers(followers, groups, f -> f.outstandingAppends() > 0));
            }
            finally
            {
                CodeInjectionForTesting.remove(APPEND_COUNTED);
            }
            final long removedAtNs = System.nanoTime();
            cluster.await("each follower of " + groups + " hears from its leader after the injection",
                Duration.ofSeconds(30), () -> allFollowers(followers, groups,
                    f -> f.silence().toNanos() < System.nanoTime() - removedAtNs - Duration.ofMillis(100).toNanos()
                        || f.outstandingAppends() == 0));
            if (allFollowers(followers, groups, f -> f.outstandingAppends() > 0))
            {
                return;
            }
            assertThat(round).as("rounds of injected append failures without a leaked count").isLessThan(5);
        }
    }

    private static boolean allFollowers(
        final List<RookeryNode> nodes, final Set<Long> groups, final Predicate<RaftGroups.FollowerSilence> test)
    {
        return nodes.stream().allMatch(node -> groups.stream().allMatch(g ->
        {
            final RaftGroups.FollowerSilence follower = node.groups().followerSilence(g);
            return follower != null && test.test(follower);
        }));
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> followerViews(final RookeryNode node, final Set<Long> groups)
    {
        final List<Map<String, Object>> views = new ArrayList<>();
        for (final Map<String, Object> group : (List<Map<String, Object>>)node.clusterView(false).get("groups"))
        {
            if (groups.stream().anyMatch(g -> GroupKeys.hex(g).equals(group.get("key"))))
            {
                views.add(group);
            }
        }
        assertThat(views).hasSameSizeAs(groups);
        return views;
    }

    private static Set<Long> ledGroups(final RookeryNode node)
    {
        final Set<Long> groups = new java.util.TreeSet<>();
        for (final long g : node.groups().hostedGroups())
        {
            if (node.groups().readyLeaderTerm(g) >= 0)
            {
                groups.add(g);
            }
        }
        assertThat(groups).isNotEmpty();
        return groups;
    }

    private static List<AgentId> counterIn(final RookeryNode node, final Set<Integer> partitions)
    {
        final List<AgentId> counters = new ArrayList<>();
        for (final int p : partitions.stream().limit(12).toList())
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
