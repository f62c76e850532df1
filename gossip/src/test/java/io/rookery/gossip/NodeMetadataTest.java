package io.rookery.gossip;

import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The metadata record: validation, copies, equality.
 */
class NodeMetadataTest
{
    private static final GroupClaim CLAIM = new GroupClaim(9, "n1", 4, new int[] {1, 5}, new long[] {1, 2});

    @Test
    void joiningLeadsAndHostsNothing()
    {
        final NodeMetadata metadata = NodeMetadata.joining("n1", "c", 16, "a", "r", "h");

        assertThat(metadata.state()).isEqualTo(NodeState.JOINING);
        assertThat(metadata.leads()).isEmpty();
        assertThat(metadata.hostedGroups()).isEmpty();
        assertThat(metadata.ledPartitions()).isZero();
    }

    @Test
    void partitionCountMustBeAU16AboveZeroAndClaimsWithinIt()
    {
        assertThatThrownBy(() -> NodeMetadata.joining("n", "c", 0, "a", "r", "h"))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("partitionCount");
        assertThatThrownBy(() -> NodeMetadata.joining("n", "c", 65536, "a", "r", "h"))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("partitionCount");
        assertThatThrownBy(() -> NodeMetadata.joining("n", "c", 5, "a", "r", "h").withLeads(List.of(CLAIM)))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("beyond 5");
    }

    @Test
    void claimsValidateTheirPartitions()
    {
        assertThatThrownBy(() -> new GroupClaim(1, "g", 1, new int[] {1}, new long[0]))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("one epoch per partition");
        assertThatThrownBy(() -> new GroupClaim(1, "g", 1, new int[] {2, 2}, new long[] {1, 1}))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ascending");
        assertThatThrownBy(() -> new GroupClaim(1, "g", 1, new int[] {65535}, new long[] {1}))
            .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void requiredFieldsAreNamedWhenMissing()
    {
        assertThatThrownBy(() -> NodeMetadata.joining(null, "c", 1, "a", "r", "h"))
            .isInstanceOf(NullPointerException.class).hasMessage("nodeId");
        assertThatThrownBy(() -> NodeMetadata.joining("n", null, 1, "a", "r", "h"))
            .isInstanceOf(NullPointerException.class).hasMessage("clusterId");
        assertThatThrownBy(() -> NodeMetadata.joining("n", "c", 1, "a", "r", null))
            .isInstanceOf(NullPointerException.class).hasMessage("httpEndpoint");
    }

    @Test
    void copiesChangeOneThingEach()
    {
        final NodeMetadata base = NodeMetadata.joining("n1", "c", 16, "a", "r", "h");

        final NodeMetadata active = base.withState(NodeState.ACTIVE);
        final NodeMetadata leading = active.withLeads(List.of(CLAIM));
        final NodeMetadata hosting = leading.withHostedGroups(List.of(3L, 1L, 3L));
        final NodeMetadata moving = hosting.withMovesInProgress(2);

        assertThat(base.state()).isEqualTo(NodeState.JOINING);
        assertThat(active.state()).isEqualTo(NodeState.ACTIVE);
        assertThat(leading.leads()).containsExactly(CLAIM);
        assertThat(leading.ledPartitions()).isEqualTo(2);
        assertThat(hosting.hostedGroups()).containsExactly(1L, 3L);
        assertThat(moving.movesInProgress()).isEqualTo(2);
        assertThat(moving.leads()).containsExactly(CLAIM);
        assertThat(moving.hostsGroup(3L)).isTrue();
    }

    @Test
    void equalityComparesEveryFieldByContent()
    {
        final NodeMetadata a = NodeMetadata.joining("n1", "c", 16, "a", "r", "h").withLeads(List.of(CLAIM))
            .withHostedGroups(List.of(9L));
        final NodeMetadata b = NodeMetadata.joining("n1", "c", 16, "a", "r", "h")
            .withLeads(List.of(new GroupClaim(9, "n1", 4, new int[] {1, 5}, new long[] {1, 2})))
            .withHostedGroups(List.of(9L));

        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
        assertThat(a).isNotEqualTo(b.withHostedGroups(List.of(9L, 10L)));
        assertThat(a).isNotEqualTo(b.withLeads(List.of()));
        assertThat(a.toString()).contains("n1").contains("leads=");
    }
}
