package io.rookery.gossip;

import java.util.Arrays;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Node metadata: validated on construction, copied rather than shared, compared by content.
 */
class NodeMetadataTest
{
    private static final NodeMetadata BASE = NodeMetadata.joining("n1", "rookery", 4, "a:1", "r:2", "h:3");

    @Test
    void joiningLeadsNothing()
    {
        assertThat(BASE.state()).isEqualTo(NodeState.JOINING);
        assertThat(BASE.partitionCount()).isEqualTo(4);
        assertThat(BASE.leaderTerms()).containsExactly(-1, -1, -1, -1);
        for (int p = 0; p < 4; p++)
        {
            assertThat(BASE.leaderTerm(p)).isEqualTo(NodeMetadata.NOT_LEADER);
        }
    }

    @Test
    void leaderTermsMustHaveOneEntryPerPartition()
    {
        assertThatThrownBy(() -> new NodeMetadata("n", "c", 4, "a", "r", "h", NodeState.ACTIVE, new long[3]))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("leaderTerms must have one entry per partition");
        assertThatThrownBy(() -> new NodeMetadata("n", "c", 4, "a", "r", "h", NodeState.ACTIVE, new long[5]))
            .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BASE.withLeaderTerms(new long[] {1, 2}))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("leaderTerms");
    }

    @Test
    void partitionCountMustBeAU16AboveZero()
    {
        for (final int count : new int[] {0, -1, 65536, Integer.MIN_VALUE})
        {
            assertThatThrownBy(() -> new NodeMetadata("n", "c", count, "a", "r", "h", NodeState.ACTIVE, new long[0]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("partitionCount out of range: " + count);
        }
        assertThat(NodeMetadata.joining("n", "c", 65535, "a", "r", "h").leaderTerms()).hasSize(65535);
        assertThat(NodeMetadata.joining("n", "c", 1, "a", "r", "h").leaderTerms()).hasSize(1);
    }

    @Test
    void requiredFieldsAreNamedWhenMissing()
    {
        final long[] terms = {-1};
        assertThatThrownBy(() -> new NodeMetadata(null, "c", 1, "a", "r", "h", NodeState.ACTIVE, terms))
            .isInstanceOf(NullPointerException.class).hasMessage("nodeId");
        assertThatThrownBy(() -> new NodeMetadata("n", null, 1, "a", "r", "h", NodeState.ACTIVE, terms))
            .isInstanceOf(NullPointerException.class).hasMessage("clusterId");
        assertThatThrownBy(() -> new NodeMetadata("n", "c", 1, null, "r", "h", NodeState.ACTIVE, terms))
            .isInstanceOf(NullPointerException.class).hasMessage("aeronEndpoint");
        assertThatThrownBy(() -> new NodeMetadata("n", "c", 1, "a", null, "h", NodeState.ACTIVE, terms))
            .isInstanceOf(NullPointerException.class).hasMessage("raftEndpoint");
        assertThatThrownBy(() -> new NodeMetadata("n", "c", 1, "a", "r", null, NodeState.ACTIVE, terms))
            .isInstanceOf(NullPointerException.class).hasMessage("httpEndpoint");
        assertThatThrownBy(() -> new NodeMetadata("n", "c", 1, "a", "r", "h", null, terms))
            .isInstanceOf(NullPointerException.class).hasMessage("state");
        assertThatThrownBy(() -> new NodeMetadata("n", "c", 1, "a", "r", "h", NodeState.ACTIVE, null))
            .isInstanceOf(NullPointerException.class).hasMessage("leaderTerms");
        assertThatThrownBy(() -> BASE.withState(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void withStateChangesOnlyTheStateOfACopy()
    {
        final NodeMetadata active = BASE.withState(NodeState.ACTIVE);

        assertThat(active).isNotSameAs(BASE).isNotEqualTo(BASE);
        assertThat(active.state()).isEqualTo(NodeState.ACTIVE);
        assertThat(BASE.state()).isEqualTo(NodeState.JOINING);
        assertThat(active.nodeId()).isEqualTo(BASE.nodeId());
        assertThat(active.clusterId()).isEqualTo(BASE.clusterId());
        assertThat(active.partitionCount()).isEqualTo(BASE.partitionCount());
        assertThat(active.aeronEndpoint()).isEqualTo(BASE.aeronEndpoint());
        assertThat(active.raftEndpoint()).isEqualTo(BASE.raftEndpoint());
        assertThat(active.httpEndpoint()).isEqualTo(BASE.httpEndpoint());
        assertThat(active.leaderTerms()).isEqualTo(BASE.leaderTerms());
        assertThat(active.withState(NodeState.JOINING)).isEqualTo(BASE).hasSameHashCodeAs(BASE);
    }

    @Test
    void withLeaderTermsCopiesTheArray()
    {
        final long[] terms = {5, -1, 7, -1};

        final NodeMetadata leading = BASE.withState(NodeState.ACTIVE).withLeaderTerms(terms);
        terms[0] = 99;
        terms[1] = 100;

        assertThat(leading.leaderTerm(0)).isEqualTo(5);
        assertThat(leading.leaderTerm(1)).isEqualTo(NodeMetadata.NOT_LEADER);
        assertThat(leading.leaderTerm(2)).isEqualTo(7);
        assertThat(leading.leaderTerms()).isNotSameAs(terms);
        assertThat(leading.state()).isEqualTo(NodeState.ACTIVE);
        assertThat(BASE.leaderTerms()).containsOnly(NodeMetadata.NOT_LEADER);
        assertThat(leading.nodeId()).isEqualTo("n1");
    }

    @Test
    void equalityComparesEveryFieldAndTheTermsByContent()
    {
        final NodeMetadata same = NodeMetadata.joining("n1", "rookery", 4, "a:1", "r:2", "h:3");
        final long[] terms = {-1, -1, -1, -1};
        final NodeMetadata sameTermsOtherArray =
            new NodeMetadata("n1", "rookery", 4, "a:1", "r:2", "h:3", NodeState.JOINING, terms.clone());

        assertThat(same).isEqualTo(BASE).hasSameHashCodeAs(BASE);
        assertThat(sameTermsOtherArray).isEqualTo(BASE).hasSameHashCodeAs(BASE);
        assertThat(BASE).isEqualTo(BASE).isNotEqualTo(null).isNotEqualTo("n1");

        final long[] led = terms.clone();
        led[2] = 1;
        assertThat(BASE.withLeaderTerms(led)).isNotEqualTo(BASE);
        assertThat(NodeMetadata.joining("n2", "rookery", 4, "a:1", "r:2", "h:3")).isNotEqualTo(BASE);
        assertThat(NodeMetadata.joining("n1", "other", 4, "a:1", "r:2", "h:3")).isNotEqualTo(BASE);
        assertThat(NodeMetadata.joining("n1", "rookery", 5, "a:1", "r:2", "h:3")).isNotEqualTo(BASE);
        assertThat(NodeMetadata.joining("n1", "rookery", 4, "a:9", "r:2", "h:3")).isNotEqualTo(BASE);
        assertThat(NodeMetadata.joining("n1", "rookery", 4, "a:1", "r:9", "h:3")).isNotEqualTo(BASE);
        assertThat(NodeMetadata.joining("n1", "rookery", 4, "a:1", "r:2", "h:9")).isNotEqualTo(BASE);
        assertThat(BASE.withState(NodeState.DRAINING)).isNotEqualTo(BASE.withState(NodeState.LEAVING));
    }

    @Test
    void hashCodeFollowsTheTerms()
    {
        final long[] led = new long[4];
        Arrays.fill(led, NodeMetadata.NOT_LEADER);
        led[3] = 12;

        assertThat(BASE.withLeaderTerms(led).hashCode()).isEqualTo(BASE.withLeaderTerms(led.clone()).hashCode());
        assertThat(BASE.withLeaderTerms(led).hashCode()).isNotEqualTo(BASE.hashCode());
    }

    @Test
    void toStringNamesTheNodeWithoutDumpingTheTerms()
    {
        final String text = BASE.withState(NodeState.ACTIVE).toString();

        assertThat(text).contains("n1").contains("cluster=rookery").contains("P=4").contains("state=ACTIVE")
            .contains("aeron=a:1").contains("raft=r:2").contains("http=h:3");
    }
}
