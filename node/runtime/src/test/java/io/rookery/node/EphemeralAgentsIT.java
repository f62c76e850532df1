package io.rookery.node;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import io.rookery.api.AgentId;
import io.rookery.api.Codecs;
import io.rookery.examples.ChatRoomAgent;
import io.rookery.examples.InboxAgent;
import io.rookery.testing.TestCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Ephemeral agents on three real nodes: in memory on their partition's leader, messaging each
 * other at most once, node to node over Aeron with one frame per message and no answer.
 */
@Timeout(240)
class EphemeralAgentsIT
{
    private static final Duration DEADLINE = Duration.ofSeconds(30);
    private static TestCluster cluster;

    @BeforeAll
    static void start()
    {
        // An ephemeral agent's state lives on its partition's leader and is gone when leadership
        // moves: these tests are about messaging, so they start once every node leads its own group,
        // after which leaders stay put.
        cluster = TestCluster.start(3, ctx -> { });
        cluster.awaitSettled(Duration.ofSeconds(60));
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
    void aRoomFansLinesOutToInboxesOnEveryNode()
    {
        final RookeryNode any = cluster.node(0);
        final AgentId room = AgentId.of(ChatRoomAgent.NAME, "lobby");
        final RookeryNode roomLeader = cluster.servingLeader(any.partitionOf(room));

        // Members whose inboxes are led by every node, the room's own among them.
        final List<String> members = new ArrayList<>();
        final Set<String> inboxLeaders = new HashSet<>();
        for (int i = 0; members.size() < 12 || inboxLeaders.size() < 3; i++)
        {
            assertThat(i).as("members whose inboxes three leaders serve, " + inboxLeaders).isLessThan(10_000);
            final String member = "member-" + i;
            final String leader = cluster.servingLeader(any.partitionOf(AgentId.of(InboxAgent.NAME, member))).nodeId();
            if (members.size() < 12 || !inboxLeaders.contains(leader))
            {
                members.add(member);
                inboxLeaders.add(leader);
            }
        }
        for (final String member : members)
        {
            ask(any, room, "{\"op\":\"join\",\"member\":\"" + member + "\"}");
        }
        final double framesBefore = ephemeralFramesReceived();
        final int lines = 20;
        for (int i = 0; i < lines; i++)
        {
            final JsonNode said = ask(cluster.node(i % 3), room,
                "{\"op\":\"say\",\"member\":\"member-0\",\"text\":\"line " + i + "\"}");
            assertThat(said.get("deliveredTo").asInt()).isEqualTo(members.size());
        }

        for (final String member : members)
        {
            final AgentId inbox = AgentId.of(InboxAgent.NAME, member);
            await("all lines in " + member).atMost(DEADLINE).pollInterval(Duration.ofMillis(50))
                .until(() -> ask(any, inbox, "{\"op\":\"read\"}").get("received").asLong() == lines);
            final JsonNode read = ask(any, inbox, "{\"op\":\"read\"}");
            assertThat(read.get("lines").get(0).asText()).isEqualTo("lobby/member-0: line 0");
            assertThat(read.get("lines").get(lines - 1).asText()).isEqualTo("lobby/member-0: line " + (lines - 1));
        }
        final long remoteInboxes = members.stream()
            .filter(m -> cluster.servingLeader(any.partitionOf(AgentId.of(InboxAgent.NAME, m))) != roomLeader)
            .count();
        assertThat(remoteInboxes).isPositive();
        assertThat(ephemeralFramesReceived() - framesBefore)
            .as("one EphemeralMessage frame per line per inbox led away from the room")
            .isEqualTo(remoteInboxes * lines);
        assertThat(ask(any, room, "{\"op\":\"members\"}").get("lines").asLong()).isEqualTo(lines);
    }

    @Test
    void tellsFromOutsideReachEphemeralAgentsOnEveryNodeAndDurableTypesAreRefused()
    {
        final int perNode = 50;
        final List<AgentId> inboxes = new ArrayList<>();
        for (int i = 0; i < 9; i++)
        {
            inboxes.add(AgentId.of(InboxAgent.NAME, "told-" + i));
        }
        for (final RookeryNode node : cluster.running())
        {
            for (int i = 0; i < perNode; i++)
            {
                for (final AgentId inbox : inboxes)
                {
                    final String line = "{\"op\":\"deliver\",\"room\":\"direct\",\"from\":\"" + node.nodeId() +
                        "\",\"text\":\"" + i + "\"}";
                    assertThat(node.tellEphemeral(inbox, line.getBytes(StandardCharsets.UTF_8))).isTrue();
                }
            }
        }
        for (final AgentId inbox : inboxes)
        {
            await("every tell in " + inbox).atMost(DEADLINE).pollInterval(Duration.ofMillis(50))
                .until(() -> ask(cluster.node(0), inbox, "{\"op\":\"read\"}").get("received").asLong() ==
                    3L * perNode);
        }

        final RookeryNode node = cluster.node(1);
        final byte[] anything = "{}".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> node.tellEphemeral(AgentId.of("counter", "c"), anything))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("durable");
        assertThatThrownBy(() -> node.tellEphemeral(AgentId.of("no-such-type", "c"), anything))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown agent type");
    }

    @Test
    void aMessageThatDoesNotDecodeIsDroppedAndCountedWithoutHarmingTheAgent()
    {
        final AgentId inbox = AgentId.of(InboxAgent.NAME, "garbage");
        final RookeryNode leader = cluster.servingLeader(cluster.node(0).partitionOf(inbox));
        final RookeryNode sender = cluster.running().stream().filter(n -> n != leader).findFirst().orElseThrow();
        final double badBefore = leader.metrics().turns.labelValues("ephemeral", "bad_request").get();
        assertThat(sender.tellEphemeral(inbox, "not json".getBytes(StandardCharsets.UTF_8))).isTrue();
        assertThat(sender.tellEphemeral(inbox,
            "{\"op\":\"deliver\",\"room\":\"r\",\"from\":\"f\",\"text\":\"ok\"}".getBytes(StandardCharsets.UTF_8)))
            .isTrue();
        await("the good one arrives").atMost(DEADLINE).pollInterval(Duration.ofMillis(50))
            .until(() -> ask(leader, inbox, "{\"op\":\"read\"}").get("received").asLong() == 1);
        assertThat(leader.metrics().turns.labelValues("ephemeral", "bad_request").get()).isEqualTo(badBefore + 1);
    }

    private static double ephemeralFramesReceived()
    {
        double total = 0;
        for (final RookeryNode node : cluster.running())
        {
            for (final RookeryNode peer : cluster.running())
            {
                if (peer != node)
                {
                    total += node.metrics().inboundFrames.labelValues(peer.nodeId(), "ephemeral").get();
                }
            }
        }
        return total;
    }

    private static JsonNode ask(final RookeryNode node, final AgentId id, final String message)
    {
        final Response response = node.ask(id, message.getBytes(StandardCharsets.UTF_8)).join();
        assertThat(response.isOk()).as(id + " " + message + ": " + response.status() + " " + response.payloadText())
            .isTrue();
        return Codecs.parseJson(response.payload());
    }
}
