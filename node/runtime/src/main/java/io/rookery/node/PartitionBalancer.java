package io.rookery.node;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.LongPredicate;

import io.rookery.raft.GroupKeys;
import io.rookery.raft.PartitionAssignment;

/**
 * Decides which partitions a group leader moves, with no coordinator: every leader computes the
 * same set of groups that take partitions (one per node that is a member, or was one until less
 * than the grace period ago), the same assignment of partitions to those groups
 * ({@link PartitionAssignment}), and moves the partitions it serves toward it, a few at a time,
 * only to groups that are up and only once the set of groups has held still for a while. Pure
 * functions of their inputs: the clock and the view are the caller's.
 */
final class PartitionBalancer
{
    private final int partitionCount;
    private final long settleMs;
    private Set<Long> lastGroups = Set.of();
    private long stableSinceMs = Long.MIN_VALUE;

    /**
     * @param partitionCount P.
     * @param settleMs       how long the set of groups must hold still before partitions move.
     */
    PartitionBalancer(final int partitionCount, final long settleMs)
    {
        this.partitionCount = partitionCount;
        this.settleMs = settleMs;
    }

    /**
     * The groups that take partitions: those of the nodes that are members now (whatever their
     * state but leaving), or that were until less than {@code graceMs} ago.
     *
     * @param live        ids of the nodes in the gossip view that are not leaving.
     * @param downSinceMs for nodes that are gone or leaving, when they went.
     * @param nowMs       the caller's clock.
     * @param graceMs     how long a gone node keeps its group.
     * @return the group keys, ascending.
     */
    static Set<Long> activeGroups(
        final Collection<String> live, final Map<String, Long> downSinceMs, final long nowMs, final long graceMs)
    {
        final Set<Long> groups = new TreeSet<>();
        for (final String id : live)
        {
            groups.add(GroupKeys.of(id));
        }
        for (final Map.Entry<String, Long> down : downSinceMs.entrySet())
        {
            if (nowMs - down.getValue() < graceMs)
            {
                groups.add(GroupKeys.of(down.getKey()));
            }
        }
        return groups;
    }

    /**
     * @param groups the groups that take partitions now.
     * @param nowMs  the caller's clock.
     * @return whether they have held still for the settle time (the first call starts the clock).
     */
    boolean settled(final Set<Long> groups, final long nowMs)
    {
        if (!groups.equals(lastGroups))
        {
            lastGroups = Set.copyOf(groups);
            stableSinceMs = nowMs;
        }
        return nowMs - stableSinceMs >= settleMs;
    }

    /**
     * @param groups the groups that take partitions.
     * @return for each partition, the group it belongs in.
     */
    long[] assignment(final Set<Long> groups)
    {
        return PartitionAssignment.of(partitionCount, groups);
    }

    /**
     * The moves a group's leader starts now.
     *
     * @param group       the group.
     * @param served      the partitions it serves (owned, not being handed over).
     * @param assignment  where every partition belongs.
     * @param targetReady whether a group can take a partition now (has a leader, is not retired).
     * @param budget      moves it may start.
     * @return (partition, target group) pairs, in partition order.
     */
    static List<long[]> moves(
        final long group,
        final Collection<Integer> served,
        final long[] assignment,
        final LongPredicate targetReady,
        final int budget)
    {
        final List<long[]> moves = new ArrayList<>();
        for (final int partition : new TreeSet<>(served))
        {
            if (moves.size() >= budget)
            {
                break;
            }
            final long target = assignment[partition];
            if (target != group && target != PartitionAssignment.NONE && targetReady.test(target))
            {
                moves.add(new long[] {partition, target});
            }
        }
        return moves;
    }
}
