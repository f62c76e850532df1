package io.rookery.gossip;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two real gossip members on loopback: they find each other with the right metadata, see each
 * other's updates, and a member that dies without a goodbye is reported as failed.
 */
@Timeout(120)
class MembershipIT
{
    private static final Duration DEADLINE = Duration.ofSeconds(30);
    private static final Duration POLL = Duration.ofMillis(25);

    private final List<Membership> started = new ArrayList<>();

    @AfterEach
    void stopAll()
    {
        for (final Membership membership : started)
        {
            membership.close();
        }
        started.clear();
    }

    @Test
    void membersSeeEachOtherAndAKilledMemberIsReportedAsFailed()
    {
        final Recorder onA = new Recorder();
        final Recorder onB = new Recorder();
        final NodeMetadata metaA = NodeMetadata.joining(
            "node-a", "it-cluster", 8, "127.0.0.1:41001", "127.0.0.1:41002", "127.0.0.1:41003");
        final NodeMetadata metaB = NodeMetadata.joining(
            "n\u0153ud-b-\u6771", "it-cluster", 8, "127.0.0.1:42001", "127.0.0.1:42002", "127.0.0.1:42003")
            .withState(NodeState.ACTIVE)
            .withLeads(List.of(new GroupClaim(77L, "n\u0153ud-b-\u6771", 3, new int[] {0, 3, 7}, new long[] {1, 4, 5})))
            .withHostedGroups(List.of(77L, 12L));

        final Membership a = start(new Membership.Context().metadata(metaA).listener(onA));
        final Membership b = start(new Membership.Context().metadata(metaB).seeds(List.of(a.address())));
        b.addListener(onB);

        await("A sees B").atMost(DEADLINE).pollInterval(POLL).until(() -> a.member(metaB.nodeId()).isPresent());
        await("B sees A").atMost(DEADLINE).pollInterval(POLL).until(() -> b.member(metaA.nodeId()).isPresent());

        assertThat(a.address()).startsWith("127.0.0.1:").isNotEqualTo(b.address());
        assertThat(a.member(metaB.nodeId())).contains(metaB);
        assertThat(b.member(metaA.nodeId())).contains(metaA);
        assertThat(a.member(metaA.nodeId())).contains(metaA);
        assertThat(a.members()).containsExactlyInAnyOrder(metaA, metaB);
        assertThat(b.members()).containsExactlyInAnyOrder(metaA, metaB);
        assertThat(onA.joined).containsExactly(metaB);
        assertThat(a.joins()).isEqualTo(1);
        assertThat(a.metadataErrors()).isZero();
        assertThat(a.member("nobody")).isEmpty();

        final NodeMetadata draining = metaB.withState(NodeState.DRAINING);
        b.updateLocal(current -> current.withState(NodeState.DRAINING));
        assertThat(b.local()).isEqualTo(draining);
        await("A sees B's update").atMost(DEADLINE).pollInterval(POLL)
            .until(() -> a.member(metaB.nodeId()).filter(draining::equals).isPresent());
        assertThat(onA.updated).isNotEmpty();
        assertThat(onA.updated.get(onA.updated.size() - 1)).containsExactly(metaB, draining);

        b.kill();

        await("A declares B failed").atMost(DEADLINE).pollInterval(POLL).until(() -> !onA.left.isEmpty());
        assertThat(onA.left).containsExactly(new Left(draining, false));
        assertThat(a.member(metaB.nodeId())).isEmpty();
        assertThat(a.members()).containsExactly(metaA);
        assertThat(a.failures()).isEqualTo(1);
        assertThat(a.departures()).isZero();
    }

    @Test
    void aMemberThatClosesIsReportedAsLeavingGracefully()
    {
        final Recorder onA = new Recorder();
        final NodeMetadata metaA = NodeMetadata.joining("a", "it", 2, "127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3");
        final NodeMetadata metaB = NodeMetadata.joining("b", "it", 2, "127.0.0.1:4", "127.0.0.1:5", "127.0.0.1:6");
        final Membership a = start(new Membership.Context().metadata(metaA).listener(onA));
        final Membership b = start(new Membership.Context().metadata(metaB).seeds(List.of(a.address())));
        await("A sees B").atMost(DEADLINE).pollInterval(POLL).until(() -> a.member("b").isPresent());

        b.close();

        await("A hears B leave").atMost(DEADLINE).pollInterval(POLL).until(() -> !onA.left.isEmpty());
        assertThat(onA.left).containsExactly(new Left(metaB, true));
        assertThat(a.member("b")).isEmpty();
        assertThat(a.departures()).isEqualTo(1);
        assertThat(a.failures()).isZero();
    }

    @Test
    void aMemberWithoutTheClusterSecretNeverJoinsAndItsMessagesAreCounted()
    {
        final byte[] secret = "the-cluster-secret-0123456789".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        final NodeMetadata metaA = NodeMetadata.joining(
            "node-a", "it-cluster", 8, "127.0.0.1:41001", "127.0.0.1:41002", "127.0.0.1:41003");
        final NodeMetadata metaB = NodeMetadata.joining(
            "node-b", "it-cluster", 8, "127.0.0.1:42001", "127.0.0.1:42002", "127.0.0.1:42003");
        final NodeMetadata metaX = NodeMetadata.joining(
            "intruder", "it-cluster", 8, "127.0.0.1:43001", "127.0.0.1:43002", "127.0.0.1:43003");

        final Membership a = start(new Membership.Context().metadata(metaA).clusterSecret(secret));
        final Membership b = start(new Membership.Context().metadata(metaB).clusterSecret(secret)
            .seeds(List.of(a.address())));
        await("A and B, with the secret, see each other").atMost(DEADLINE).pollInterval(POLL)
            .until(() -> a.member(metaB.nodeId()).isPresent() && b.member(metaA.nodeId()).isPresent());
        final Membership intruder = start(new Membership.Context().metadata(metaX)
            .clusterSecret("another-secret-0123456789".getBytes(java.nio.charset.StandardCharsets.UTF_8))
            .seeds(List.of(a.address(), b.address())));
        final Membership open = start(new Membership.Context().metadata(metaX.withState(NodeState.ACTIVE))
            .seeds(List.of(a.address())));

        await("the intruders' messages are refused").atMost(DEADLINE).pollInterval(POLL)
            .until(() -> a.rejectedMessages() + b.rejectedMessages() >= 2);
        assertThat(a.members()).extracting(NodeMetadata::nodeId).containsExactlyInAnyOrder("node-a", "node-b");
        assertThat(b.members()).extracting(NodeMetadata::nodeId).containsExactlyInAnyOrder("node-a", "node-b");
        assertThat(intruder.members()).extracting(NodeMetadata::nodeId).containsExactly("intruder");
        assertThat(open.members()).extracting(NodeMetadata::nodeId).containsExactly("intruder");
    }

    private Membership start(final Membership.Context ctx)
    {
        final Membership membership = Membership.start(ctx);
        started.add(membership);
        return membership;
    }

    private record Left(NodeMetadata node, boolean graceful)
    {
    }

    private static final class Recorder implements MembershipListener
    {
        final List<NodeMetadata> joined = new CopyOnWriteArrayList<>();
        final List<List<NodeMetadata>> updated = new CopyOnWriteArrayList<>();
        final List<Left> left = new CopyOnWriteArrayList<>();

        public void onJoined(final NodeMetadata node)
        {
            joined.add(node);
        }

        public void onUpdated(final NodeMetadata previous, final NodeMetadata current)
        {
            updated.add(List.of(previous, current));
        }

        public void onLeft(final NodeMetadata node, final boolean graceful)
        {
            left.add(new Left(node, graceful));
        }
    }
}
