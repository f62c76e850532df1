package io.rookery.raft;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * Rendezvous (highest-random-weight) placement: the replicas of partition p are the R nodes with
 * the highest score hash(nodeId, p). Every node computes the same answer from the same set of
 * node ids, with no coordinator, and when a node joins or leaves only the partitions whose top R
 * it enters or leaves move.
 */
public final class Placement
{
    private Placement()
    {
    }

    /**
     * @param nodeId    a node id.
     * @param partition a partition.
     * @return the node's score for the partition.
     */
    public static long score(final String nodeId, final int partition)
    {
        return Hashing.mix(Hashing.hash64(nodeId), partition);
    }

    /**
     * @param nodeIds           candidate nodes (order does not matter; duplicates are ignored).
     * @param partition         a partition.
     * @param replicationFactor R.
     * @return the min(R, nodes) chosen nodes, highest score first.
     */
    public static List<String> replicas(
        final Collection<String> nodeIds, final int partition, final int replicationFactor)
    {
        final List<String> ranked = ranked(nodeIds, partition);
        return List.copyOf(ranked.subList(0, Math.min(replicationFactor, ranked.size())));
    }

    /**
     * @param nodeIds   candidate nodes.
     * @param partition a partition.
     * @return all distinct candidates, highest score first (ties broken by node id).
     */
    public static List<String> ranked(final Collection<String> nodeIds, final int partition)
    {
        final List<String> ranked = new ArrayList<>(nodeIds.stream().distinct().toList());
        ranked.sort(Comparator.comparingLong((String id) -> score(id, partition)).reversed()
            .thenComparing(Comparator.naturalOrder()));
        return ranked;
    }
}
