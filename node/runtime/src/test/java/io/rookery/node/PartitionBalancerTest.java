package io.rookery.node;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.rookery.raft.GroupKeys;
import io.rookery.raft.PartitionAssignment;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which partitions a group's leader moves, on a fake clock.
 */
class PartitionBalancerTest
{
    @Test
    void aGoneNodeKeepsItsGroupForTheGracePeriod()
    {
        final Set<Long> groups = PartitionBalancer.activeGroups(List.of("n1", "n2"),
            Map.of("n3", 1_000L, "n4", 0L), 30_500, 30_000);

        assertThat(groups).containsExactlyInAnyOrder(GroupKeys.of("n1"), GroupKeys.of("n2"), GroupKeys.of("n3"));
    }

    @Test
    void partitionsMoveOnlyOnceTheGroupsHeldStill()
    {
        final PartitionBalancer balancer = new PartitionBalancer(16, 5_000);
        final Set<Long> three = Set.of(1L, 2L, 3L);

        assertThat(balancer.settled(three, 0)).isFalse();
        assertThat(balancer.settled(three, 4_999)).isFalse();
        assertThat(balancer.settled(three, 5_000)).isTrue();
        assertThat(balancer.settled(Set.of(1L, 2L), 6_000)).as("a change restarts the clock").isFalse();
        assertThat(balancer.settled(Set.of(1L, 2L), 11_000)).isTrue();
    }

    @Test
    void aLeaderMovesWhatItShouldNotHoldToReadyGroupsWithinItsBudget()
    {
        final long[] assignment = PartitionAssignment.of(32, List.of(1L, 2L, 3L));
        final List<Integer> served = new ArrayList<>();
        for (int p = 0; p < 32; p++)
        {
            served.add(p);
        }

        final List<long[]> moves = PartitionBalancer.moves(1L, served, assignment, g -> g == 2L, 100);
        assertThat(moves).isNotEmpty().allMatch(move -> move[1] == 2L && assignment[(int)move[0]] == 2L);
        assertThat(moves).hasSize(PartitionAssignment.partitionsOf(assignment, 2L).size());
        assertThat(PartitionBalancer.moves(1L, served, assignment, g -> true, 3)).hasSize(3);
        assertThat(PartitionBalancer.moves(1L, PartitionAssignment.partitionsOf(assignment, 1L), assignment,
            g -> true, 100)).as("a group holding exactly its share moves nothing").isEmpty();
    }
}
