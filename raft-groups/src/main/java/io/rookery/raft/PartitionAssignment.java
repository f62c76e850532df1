package io.rookery.raft;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

/**
 * Which group each partition should belong to, as a deterministic function of the set of groups
 * that take partitions: every group leader computes the same answer and moves the partitions it
 * owns toward it, so no one coordinates the spread.
 * <p>
 * Every (partition, group) pair has a rendezvous score; pairs are taken in descending score order
 * and a partition goes to the first group that still has room: each group holds floor(P / G)
 * partitions, and the first P mod G groups to want one more get it. The spread is even to within one partition, and a group that joins or leaves moves
 * about P / G partitions, mostly those whose scores favoured the change anyway.
 */
public final class PartitionAssignment
{
    /** Group value of a partition with no group (no groups at all). */
    public static final long NONE = 0;

    private PartitionAssignment()
    {
    }

    /**
     * @param partitionCount P.
     * @param groups         keys of the groups that take partitions.
     * @return for each partition, the key of its group, or {@link #NONE} when there are no groups.
     */
    public static long[] of(final int partitionCount, final Collection<Long> groups)
    {
        final long[] owner = new long[partitionCount];
        final long[] keys = groups.stream().mapToLong(Long::longValue).distinct().sorted().toArray();
        if (keys.length == 0)
        {
            return owner;
        }
        final int floor = partitionCount / keys.length;
        int extras = partitionCount % keys.length;
        final List<long[]> pairs = new ArrayList<>(partitionCount * keys.length);
        for (int p = 0; p < partitionCount; p++)
        {
            for (int g = 0; g < keys.length; g++)
            {
                pairs.add(new long[] {Hashing.mix(keys[g], p), p, g});
            }
        }
        pairs.sort((a, b) ->
        {
            final int byScore = Long.compareUnsigned(b[0], a[0]);
            if (byScore != 0)
            {
                return byScore;
            }
            final int byPartition = Long.compare(a[1], b[1]);
            return byPartition != 0 ? byPartition : Long.compare(a[2], b[2]);
        });
        final boolean[] assigned = new boolean[partitionCount];
        final int[] load = new int[keys.length];
        int remaining = partitionCount;
        for (final long[] pair : pairs)
        {
            final int p = (int)pair[1];
            final int g = (int)pair[2];
            if (!assigned[p] && (load[g] < floor || (load[g] == floor && extras > 0)))
            {
                if (load[g] == floor)
                {
                    extras--;
                }
                assigned[p] = true;
                owner[p] = keys[g];
                load[g]++;
                if (--remaining == 0)
                {
                    break;
                }
            }
        }
        return owner;
    }

    /**
     * @param assignment an assignment.
     * @param group      a group.
     * @return the partitions assigned to the group, ascending.
     */
    public static List<Integer> partitionsOf(final long[] assignment, final long group)
    {
        final List<Integer> partitions = new ArrayList<>();
        for (int p = 0; p < assignment.length; p++)
        {
            if (assignment[p] == group)
            {
                partitions.add(p);
            }
        }
        return partitions;
    }

    static int[] loads(final long[] assignment, final long[] groups)
    {
        final int[] loads = new int[groups.length];
        for (final long owner : assignment)
        {
            final int g = Arrays.binarySearch(groups, owner);
            if (g >= 0)
            {
                loads[g]++;
            }
        }
        return loads;
    }
}
