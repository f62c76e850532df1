package io.rookery.node;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletionException;

import io.rookery.api.AgentId;
import io.rookery.testing.TestCluster;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A leadership transfer to a member that has just died fails, and the group keeps taking writes.
 * Ratis 3.3 leaves a leader refusing writes for good when the transfer fails at once (the call to
 * a dead peer's already broken channel); PartitionGroups steps such a leader down.
 */
@Timeout(180)
class LeadershipTransferIT
{
    private static final byte[] INCREMENT = "{\"op\":\"increment\"}".getBytes(StandardCharsets.UTF_8);

    @AutoClose
    private TestCluster cluster;

    @Test
    void aTransferToADeadMemberLeavesTheGroupWritable()
    {
        cluster = TestCluster.start(3, ctx -> ctx.balanceLeaders(false));
        cluster.awaitSettled(Duration.ofSeconds(60));
        final AgentId counter = AgentId.of("counter", "transfer");
        final int partition = cluster.node(0).partitionOf(counter);
        final RookeryNode leader = cluster.servingLeader(partition);
        final long group = leader.servingGroup(partition);
        assertThat(leader.ask(counter, INCREMENT).join().isOk()).isTrue();

        final RookeryNode doomed = cluster.running().stream().filter(n -> n != leader).findFirst().orElseThrow();
        cluster.killNode(cluster.indexOf(doomed.nodeId()));
        // Once gossip declares the member dead (seconds), the leader's heartbeats have long found
        // its channel broken, so the transfer's StartLeaderElection call fails at once.
        cluster.await("the leader's gossip declares " + doomed.nodeId() + " dead", Duration.ofSeconds(30),
            () -> leader.membership().member(doomed.nodeId()).isEmpty());

        // Whether a transfer fails at once or by its timeout is a race inside Ratis: try a few times.
        for (int attempt = 0; attempt < 5; attempt++)
        {
            assertThatThrownBy(() -> leader.groups().reconfiguration().transferLeadership(group, doomed.nodeId(),
                Duration.ofSeconds(2)).join()).isInstanceOf(CompletionException.class);
        }

        cluster.await("an increment acknowledged after the failed transfer", Duration.ofSeconds(60),
            () -> cluster.running().get(0).ask(counter, INCREMENT).join().isOk());
    }
}
