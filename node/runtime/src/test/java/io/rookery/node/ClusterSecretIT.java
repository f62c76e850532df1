package io.rookery.node;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import io.rookery.client.RookeryClient;
import io.rookery.testing.TestCluster;
import io.rookery.transport.AeronTransport;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two nodes sharing a cluster secret, and a third started without it: it never becomes a member,
 * its gossip is rejected, and Aeron datagrams sent without the secret's MAC are rejected and
 * counted before anything parses them, while the members' own traffic flows.
 */
@Timeout(240)
class ClusterSecretIT
{
    @TempDir
    Path dir;

    @AutoClose
    private TestCluster cluster;

    @AutoClose
    private AeronTransport outsider;

    @Test
    void aNodeWithoutTheSecretNeverJoinsAndItsFramesAreCountedAsRejected() throws Exception
    {
        final Path secret = dir.resolve("cluster.secret");
        Files.writeString(secret, "a-cluster-secret-of-some-length\n");
        cluster = TestCluster.start(2, ctx -> ctx.clusterSecretFile(secret));
        cluster.awaitSettled(Duration.ofSeconds(60));
        final RookeryNode first = cluster.node(0);
        final RookeryNode second = cluster.node(1);

        final int intruder = cluster.addNode(ctx -> ctx.clusterSecretFile(null));
        cluster.await("the members reject the intruder's gossip", Duration.ofSeconds(60),
            () -> first.membership().rejectedMessages() + second.membership().rejectedMessages() >= 5);
        assertThat(first.membership().members()).extracting(m -> m.nodeId()).containsExactlyInAnyOrder("n1", "n2");
        assertThat(second.membership().members()).extracting(m -> m.nodeId()).containsExactlyInAnyOrder("n1", "n2");
        assertThat(cluster.node(intruder).membership().members()).extracting(m -> m.nodeId())
            .containsExactly(TestCluster.nodeId(intruder));

        // Frames straight at a member's Aeron endpoint, from a transport that has no key.
        final long rejectedBefore = first.transportCounters().rejected();
        final long malformedBefore = first.transportCounters().malformedTotal();
        outsider = AeronTransport.launch(new AeronTransport.Context().name("outsider")
            .aeronDirectoryName(dir.resolve("outsider-aeron").toString()).frameHandler((b, o, l) -> { }));
        outsider.addPeer(1, first.membership().local().aeronEndpoint());
        final UnsafeBuffer garbage = new UnsafeBuffer(new byte[2000]);
        for (int i = 0; i < 20; i++)
        {
            garbage.putInt(0, i);
            assertThat(outsider.send(1, garbage, 0, 100 + 50 * i)).isEqualTo(AeronTransport.SENT);
        }
        cluster.await("the outsider's datagrams are rejected", Duration.ofSeconds(30),
            () -> outsider.counters().framesSent() == 20 && first.transportCounters().rejected() > rejectedBefore);
        assertThat(first.transportCounters().malformedTotal()).as("rejected before any parsing")
            .isEqualTo(malformedBefore);

        // The members still talk to each other over authenticated Aeron and Raft.
        final long receivedBefore = first.transportCounters().framesReceived() +
            second.transportCounters().framesReceived();
        try (RookeryClient client = RookeryClient.connect(List.of(first.httpEndpoint()), Duration.ofSeconds(10)))
        {
            for (int i = 0; i < 40; i++)
            {
                assertThat(client.ask("counter", "secret-" + i, "{\"op\":\"increment\"}").join())
                    .contains("\"value\":1");
            }
        }
        assertThat(first.transportCounters().framesReceived() + second.transportCounters().framesReceived())
            .as("forwarded over Aeron between the members").isGreaterThan(receivedBefore);
        assertThat(second.transportCounters().rejected()).as("nothing of the members' own traffic").isZero();
    }
}
