package io.rookery.raft;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The spread of partitions over groups: the same on every node, even, and stable when a group
 * joins or leaves.
 */
class PartitionAssignmentTest
{
    @Test
    void everyPartitionHasAGroupAndTheSpreadIsEvenToWithinOne()
    {
        for (int groups = 1; groups <= 9; groups++)
        {
            for (final int partitions : new int[] {1, 16, 256, 1000})
            {
                final List<Long> keys = keys(groups);
                final long[] assignment = PartitionAssignment.of(partitions, keys);
                final Map<Long, Integer> load = load(assignment);
                assertThat(load.keySet()).as("%d groups %d partitions", groups, partitions)
                    .allMatch(keys::contains);
                final int min = partitions / groups;
                for (final long key : keys)
                {
                    assertThat(load.getOrDefault(key, 0)).as("load of %x with %d groups, %d partitions", key, groups,
                        partitions).isBetween(min, min + 1);
                }
            }
        }
    }

    @Test
    void noGroupsMeansNoOwner()
    {
        assertThat(PartitionAssignment.of(4, List.of())).containsOnly(PartitionAssignment.NONE);
    }

    @Test
    void theAssignmentDoesNotDependOnTheOrderOfTheGroups()
    {
        final List<Long> keys = keys(5);
        final List<Long> reversed = new ArrayList<>(keys);
        java.util.Collections.reverse(reversed);
        reversed.add(keys.get(0));

        assertThat(PartitionAssignment.of(256, reversed)).isEqualTo(PartitionAssignment.of(256, keys));
    }

    @Test
    void addingAGroupMovesAboutItsShareAndMostlyToIt()
    {
        final int partitions = 256;
        for (int groups = 2; groups <= 6; groups++)
        {
            final List<Long> before = keys(groups);
            final List<Long> after = keys(groups + 1);
            final long added = after.get(groups);
            final long[] old = PartitionAssignment.of(partitions, before);
            final long[] now = PartitionAssignment.of(partitions, after);
            int moved = 0;
            int movedToNew = 0;
            for (int p = 0; p < partitions; p++)
            {
                if (old[p] != now[p])
                {
                    moved++;
                    movedToNew += now[p] == added ? 1 : 0;
                }
            }
            final int share = partitions / (groups + 1);
            assertThat(movedToNew).isBetween(share, share + 1);
            assertThat(moved).as("moves when group %d joins", groups + 1).isLessThanOrEqualTo(share * 2);
        }
    }

    @Test
    void removingAGroupMovesItsPartitionsAndFewOthers()
    {
        final int partitions = 256;
        final List<Long> before = keys(4);
        final List<Long> after = new ArrayList<>(before);
        final long removed = after.remove(1);
        final long[] old = PartitionAssignment.of(partitions, before);
        final long[] now = PartitionAssignment.of(partitions, after);
        int movedOthers = 0;
        for (int p = 0; p < partitions; p++)
        {
            if (old[p] != now[p] && old[p] != removed)
            {
                movedOthers++;
            }
        }
        assertThat(movedOthers).as("partitions of surviving groups that move").isLessThanOrEqualTo(partitions / 4);
        assertThat(PartitionAssignment.partitionsOf(now, removed)).isEmpty();
    }

    private static List<Long> keys(final int n)
    {
        final List<Long> keys = new ArrayList<>();
        for (int i = 1; i <= n; i++)
        {
            keys.add(GroupKeys.of("n" + i));
        }
        return keys;
    }

    private static Map<Long, Integer> load(final long[] assignment)
    {
        final Map<Long, Integer> load = new HashMap<>();
        for (final long owner : assignment)
        {
            load.merge(owner, 1, Integer::sum);
        }
        return load;
    }
}
