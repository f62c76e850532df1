package io.rookery.node;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import io.rookery.api.AgentId;
import io.rookery.raft.PartitionGroups;
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
        cluster.awaitAllPartitionsLed(Duration.ofSeconds(60));

        final int lagging = 2;
        cluster.stopNode(lagging);
        cluster.awaitAllPartitionsLed(Duration.ofSeconds(60));

        final List<AgentId> counters = new ArrayList<>();
        for (int i = 0; i < 48; i++)
        {
            counters.add(AgentId.of("counter", "snap-" + i));
        }
        // Sequential rounds: each round is at least one log entry per partition.
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
            for (int p = 0; p < 16; p++)
            {
                snapshotsTaken += node.groups().stateMachineStats(p).snapshotsTaken();
            }
        }
        assertThat(snapshotsTaken).as("snapshots taken while the replica was down").isGreaterThan(0);

        final RookeryNode restarted = cluster.restartNode(lagging);
        cluster.await("restarted replica caught up on every partition", Duration.ofSeconds(120), () ->
        {
            for (int p = 0; p < 16; p++)
            {
                final RookeryNode leader = cluster.servingLeader(p);
                if (leader == null || restarted.groups().status(p).appliedIndex() <
                    leader.groups().status(p).commitIndex() - 2)
                {
                    return false;
                }
            }
            return true;
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
        for (int p = 0; p < 16; p++)
        {
            final PartitionGroups.StateMachineStats stats = node.groups().stateMachineStats(p);
            installed += stats == null ? 0 : stats.snapshotsInstalled();
        }
        return installed;
    }
}
