package io.rookery.node;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import io.rookery.api.AgentId;
import io.rookery.raft.GroupStats;
import io.rookery.testing.TestCluster;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A replica that was down while its peers snapshotted and purged their logs catches up by
 * installing a snapshot (an SST file of the partition's range), and ends with the same data.
 */
@Timeout(300)
class SnapshotCatchUpIT
{
    private static final byte[] INCREMENT = "{\"op\":\"increment\"}".getBytes(StandardCharsets.UTF_8);

    @AutoClose
    private TestCluster cluster;

    @Test
    void aReplicaBehindPurgedLogsCatchesUpBySnapshot()
    {
        cluster = TestCluster.start(3, ctx -> ctx.snapshotThreshold(10).raftPurgeGap(5));
        cluster.awaitSettled(Duration.ofSeconds(60));

        final int lagging = 2;
        cluster.stopNode(lagging);
        cluster.awaitSettled(Duration.ofSeconds(60));

        final List<AgentId> counters = new ArrayList<>();
        for (int i = 0; i < 48; i++)
        {
            counters.add(AgentId.of("counter", "snap-" + i));
        }
        // Sequential rounds: each round is at least one log entry per group.
        for (int round = 0; round < 30; round++)
        {
            final List<CompletableFuture<Response>> calls = new ArrayList<>();
            for (int i = 0; i < counters.size(); i++)
            {
                calls.add(cluster.node(i % 2).ask(counters.get(i), INCREMENT));
            }
            calls.forEach(call -> assertThat(call.join().isOk()).isTrue());
        }
        long snapshotsTaken = 0;
        for (final RookeryNode node : cluster.running())
        {
            for (final long g : node.groups().hostedGroups())
            {
                snapshotsTaken += node.groups().stats(g).snapshotsTaken();
            }
        }
        assertThat(snapshotsTaken).as("snapshots taken while the replica was down").isGreaterThan(0);

        final RookeryNode restarted = cluster.restartNode(lagging);
        cluster.await("restarted replica caught up on every group", Duration.ofSeconds(120), () ->
        {
            for (final long g : restarted.groups().hostedGroups())
            {
                final RookeryNode leader = cluster.running().stream()
                    .filter(n -> n.groups().readyLeaderTerm(g) >= 0).findFirst().orElse(null);
                if (leader == null || restarted.groups().status(g).appliedIndex() <
                    leader.groups().status(g).commitIndex() - 2)
                {
                    return false;
                }
            }
            return restarted.groups().hostedGroups().size() == 3;
        });
        assertThat(installedSnapshots(restarted)).as("snapshots installed on the restarted replica").isGreaterThan(0);

        final String expected = "30";
        cluster.await("restarted replica holds every counter's committed value", Duration.ofSeconds(60),
            () -> counters.stream().allMatch(id -> restarted.localState(id)
                .map(bytes -> new String(bytes, StandardCharsets.UTF_8).equals(expected)).orElse(false)));
    }

    private static long installedSnapshots(final RookeryNode node)
    {
        long installed = 0;
        for (final long g : node.groups().hostedGroups())
        {
            final GroupStats stats = node.groups().stats(g);
            installed += stats == null ? 0 : stats.snapshotsInstalled();
        }
        return installed;
    }
}
