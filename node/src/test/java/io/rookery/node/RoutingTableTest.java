package io.rookery.node;

import io.rookery.gossip.NodeMetadata;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RoutingTableTest
{
    private final RoutingTable table = new RoutingTable(4);

    @Test
    void theHighestTermWins()
    {
        assertThat(table.leader(0).nodeId()).isNull();
        assertThat(table.observe(0, "n1", 3)).isTrue();
        assertThat(table.observe(0, "n2", 2)).as("older term is ignored").isFalse();
        assertThat(table.leader(0)).isEqualTo(new RoutingTable.Leader("n1", 3));
        assertThat(table.observe(0, "n2", 4)).isTrue();
        assertThat(table.leader(0)).isEqualTo(new RoutingTable.Leader("n2", 4));
    }

    @Test
    void forgettingKeepsTheTermSoOnlyAClaimOfThatTermOrNewerRestoresALeader()
    {
        table.observe(1, "n1", 5);
        table.forget(1, "n1");
        assertThat(table.leader(1)).isEqualTo(new RoutingTable.Leader(null, 5));
        assertThat(table.observe(1, "n3", 4)).isFalse();
        assertThat(table.observe(1, "n3", 5)).isTrue();
        assertThat(table.leader(1).nodeId()).isEqualTo("n3");
        table.forget(1, "n1");
        assertThat(table.leader(1).nodeId()).as("forgetting another node changes nothing").isEqualTo("n3");
    }

    @Test
    void gossipedLeaderClaimsAndDeparturesUpdateTheTable()
    {
        final long[] terms = {7, NodeMetadata.NOT_LEADER, 2, NodeMetadata.NOT_LEADER};
        final NodeMetadata n2 = NodeMetadata.joining("n2", "c", 4, "h:1", "h:2", "h:3").withLeaderTerms(terms);
        table.nodeUp(n2);
        assertThat(table.leader(0)).isEqualTo(new RoutingTable.Leader("n2", 7));
        assertThat(table.leader(2)).isEqualTo(new RoutingTable.Leader("n2", 2));
        assertThat(table.leader(1).nodeId()).isNull();
        assertThat(table.node("n2")).isEqualTo(n2);
        assertThat(table.nodeIdOf(NodeKeys.of("n2"))).isEqualTo("n2");

        table.nodeDown(n2);
        assertThat(table.leader(0).nodeId()).isNull();
        assertThat(table.leader(2).nodeId()).isNull();
        assertThat(table.node("n2")).isNull();
    }
}
