package io.rookery.node;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import io.rookery.api.AgentId;
import io.rookery.testing.TestCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(180)
class ClusterIT
{
    private static TestCluster cluster;

    @BeforeAll
    static void start()
    {
        cluster = TestCluster.start(3, ctx -> { });
        cluster.awaitAllPartitionsLed(Duration.ofSeconds(60));
    }

    @AfterAll
    static void stop()
    {
        if (cluster != null)
        {
            cluster.close();
        }
    }

    @Test
    void threeNodesFormAClusterAndEveryPartitionHasALeader()
    {
        for (final RookeryNode node : cluster.running())
        {
            assertThat(node.membership().members()).hasSize(3);
        }
        assertThat(cluster.leaderNodes()).as(cluster.dump()).hasSizeGreaterThan(1);
    }

    @Test
    void counterIncrements() throws Exception
    {
        final AgentId id = AgentId.of("counter", "smoke");
        final byte[] increment = "{\"op\":\"increment\",\"by\":2}".getBytes(StandardCharsets.UTF_8);
        final Response first = cluster.node(0).ask(id, increment).get();
        assertThat(first.isOk()).as(first.payloadText()).isTrue();
        final Response read = cluster.node(1).read(id).get();
        assertThat(read.payloadText()).contains("\"state\":2");
    }
}
