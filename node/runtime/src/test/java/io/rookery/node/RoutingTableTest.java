package io.rookery.node;

import java.util.List;

import io.rookery.gossip.GroupClaim;
import io.rookery.gossip.NodeMetadata;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The routing table: the highest term names a group's leader, the highest epoch a partition's
 * owner, a redirect's hint overrides both until a newer owner is heard of.
 */
class RoutingTableTest
{
    private static final long G1 = 11;
    private static final long G2 = 22;

    private long nowNs = 1_000;
    private final RoutingTable table = new RoutingTable(4, () -> nowNs);

    @Test
    void thePartitionGoesToTheLeaderOfItsOwnerAndTheHighestTermWins()
    {
        assertThat(table.leader(0).nodeId()).isNull();
        table.observeOwner(0, G1, 1);
        assertThat(table.leader(0).nodeId()).as("owner known, leader not").isNull();
        assertThat(table.observeLeader(G1, "n1", 3)).isTrue();
        assertThat(table.observeLeader(G1, "n2", 2)).as("older term is ignored").isFalse();
        assertThat(table.leader(0)).isEqualTo(new RoutingTable.Leader("n1", 3));
        assertThat(table.observeLeader(G1, "n2", 4)).isTrue();
        assertThat(table.leader(0)).isEqualTo(new RoutingTable.Leader("n2", 4));
    }

    @Test
    void aLeaderGivingWayToAnotherNodeIsToldOnceAndOnlyThen()
    {
        final List<String> told = new java.util.ArrayList<>();
        table.onLeaderReplaced((group, previous) -> told.add(group + ":" + previous));
        table.observeLeader(G1, "n1", 1);
        table.observeLeader(G1, "n1", 2);
        assertThat(told).as("first belief, and the same node at a newer term").isEmpty();
        table.observeLeader(G1, "n2", 3);
        table.observeLeader(G1, "n3", 2);
        assertThat(told).as("a newer term on another node; an older one changes nothing").containsExactly(G1 + ":n1");
        table.forgetLeader(G1, "n2");
        table.observeLeader(G1, "n3", 3);
        assertThat(told).as("a gap filled after the leader was forgotten is not a replacement").hasSize(1);
    }

    @Test
    void aHintGivesWayToTheOwnersLeaderOnceItIsOld()
    {
        table.observeLeader(G1, "n1", 1);
        table.observeOwner(2, G1, 1);
        table.observeHint(2, "n3");
        nowNs += RoutingTable.HINT_NS - 1;
        assertThat(table.leader(2).nodeId()).isEqualTo("n3");
        nowNs += 1;
        assertThat(table.leader(2).nodeId()).as("the claims are the better belief by now").isEqualTo("n1");
    }

    @Test
    void theHighestEpochNamesTheOwner()
    {
        table.observeLeader(G1, "n1", 1);
        table.observeLeader(G2, "n2", 1);
        table.observeOwner(0, G1, 1);
        table.observeOwner(0, G2, 2);
        assertThat(table.owner(0)).isEqualTo(new RoutingTable.Owner(G2, 2));
        table.observeOwner(0, G1, 1);
        assertThat(table.leader(0).nodeId()).as("an older epoch does not win back").isEqualTo("n2");
    }

    @Test
    void aHintOverridesUntilANewerOwnerIsHeardOfOrTheHintedNodeSaysNo()
    {
        table.observeLeader(G1, "n1", 1);
        table.observeOwner(1, G1, 1);
        table.observeHint(1, "n3");
        assertThat(table.leader(1).nodeId()).isEqualTo("n3");
        table.forget(1, "n3");
        assertThat(table.leader(1).nodeId()).isEqualTo("n1");
        table.observeHint(1, "n3");
        table.observeOwner(1, G2, 2);
        assertThat(table.leader(1).nodeId()).as("the new owner's leader is not known yet").isNull();
    }

    @Test
    void aPartitionTheLeaderSaysItDoesNotServeIsAvoidedThereWithoutForgettingTheGroupsLeader()
    {
        table.observeOwner(1, G1, 1);
        table.observeOwner(2, G1, 1);
        table.observeLeader(G1, "n1", 5);
        table.forget(1, "n1");
        assertThat(table.leader(1)).isEqualTo(new RoutingTable.Leader(null, 5));
        assertThat(table.leader(2).nodeId()).as("the group's other partitions still go to n1").isEqualTo("n1");
        assertThat(table.groupLeader(G1).nodeId()).isEqualTo("n1");
        table.forget(1, "n3");
        assertThat(table.leader(1).nodeId()).as("forgetting another node changes nothing").isNull();
        nowNs += RoutingTable.AVOID_NS;
        assertThat(table.leader(1).nodeId()).as("asked again after a while").isEqualTo("n1");
        table.forget(1, "n1");
        assertThat(table.observeLeader(G1, "n3", 6)).isTrue();
        assertThat(table.leader(1).nodeId()).as("a new leader of the group is tried").isEqualTo("n3");
        table.forget(1, "n3");
        table.observeOwner(1, G2, 2);
        table.observeLeader(G2, "n3", 1);
        assertThat(table.leader(1).nodeId()).as("a newer owner clears what was avoided").isEqualTo("n3");
    }

    @Test
    void forgettingALeaderKeepsTheTermSoOnlyAClaimOfThatTermOrNewerRestoresIt()
    {
        table.observeOwner(1, G1, 1);
        table.observeLeader(G1, "n1", 5);
        table.forgetLeader(G1, "n1");
        assertThat(table.leader(1)).isEqualTo(new RoutingTable.Leader(null, 5));
        assertThat(table.observeLeader(G1, "n3", 4)).isFalse();
        assertThat(table.observeLeader(G1, "n3", 5)).isTrue();
        assertThat(table.leader(1).nodeId()).isEqualTo("n3");
    }

    @Test
    void gossipedClaimsAndDeparturesUpdateTheTable()
    {
        final NodeMetadata n2 = NodeMetadata.joining("n2", "c", 4, "h:1", "h:2", "h:3")
            .withLeads(List.of(new GroupClaim(G2, "n2", 7, new int[] {0, 2}, new long[] {1, 3})));
        table.nodeUp(n2);
        assertThat(table.leader(0)).isEqualTo(new RoutingTable.Leader("n2", 7));
        assertThat(table.leader(2)).isEqualTo(new RoutingTable.Leader("n2", 7));
        assertThat(table.owner(2)).isEqualTo(new RoutingTable.Owner(G2, 3));
        assertThat(table.leader(1).nodeId()).isNull();
        assertThat(table.node("n2")).isEqualTo(n2);
        assertThat(table.nodeIdOf(NodeKeys.of("n2"))).isEqualTo("n2");

        table.nodeDown(n2);
        assertThat(table.leader(0).nodeId()).isNull();
        assertThat(table.owner(0)).as("ownership outlives its leader").isEqualTo(new RoutingTable.Owner(G2, 1));
        assertThat(table.node("n2")).isNull();
    }

    @Test
    void aBeliefNoLiveClaimBacksGivesWayToTheClaimsOfANewLifeOfTheGroup()
    {
        // The group's earlier life reached term 9; it was retired and created again, now at term 2.
        table.observeLeader(G1, "n4", 9);
        table.observeOwner(0, G1, 4);
        final NodeMetadata n5 = NodeMetadata.joining("n5", "c", 4, "h:1", "h:2", "h:3")
            .withLeads(List.of(new GroupClaim(G1, "n5", 2, new int[] {0}, new long[] {4})));
        table.nodeUp(n5);
        assertThat(table.leader(0).nodeId()).as("a lower term alone does not win").isEqualTo("n4");

        table.reconcileLeaders(List.of(n5));
        nowNs += RoutingTable.UNBACKED_NS - 1;
        table.reconcileLeaders(List.of(n5));
        assertThat(table.leader(0).nodeId()).as("not before the belief went unbacked a while").isEqualTo("n4");
        nowNs += 1;
        table.reconcileLeaders(List.of(n5));
        assertThat(table.leader(0)).isEqualTo(new RoutingTable.Leader("n5", 2));
        assertThat(table.observeLeader(G1, "n5", 3)).as("terms count up from there again").isTrue();
    }

    @Test
    void aBeliefBackedByAClaimStaysAndOneWithNoClaimAtAllIsDropped()
    {
        final NodeMetadata n1 = NodeMetadata.joining("n1", "c", 4, "h:1", "h:2", "h:3")
            .withLeads(List.of(new GroupClaim(G1, "n1", 5, new int[] {0}, new long[] {1})));
        table.nodeUp(n1);
        table.observeLeader(G2, null, 8);
        table.reconcileLeaders(List.of(n1));
        nowNs += RoutingTable.UNBACKED_NS;
        table.reconcileLeaders(List.of(n1));
        assertThat(table.groupLeader(G1)).isEqualTo(new RoutingTable.Leader("n1", 5));
        assertThat(table.groupLeader(G2)).isEqualTo(RoutingTable.UNKNOWN);
        assertThat(table.observeLeader(G2, "n2", 1)).isTrue();
    }
}
