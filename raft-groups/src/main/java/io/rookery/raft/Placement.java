package io.rookery.raft;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * Where a Raft group's replicas belong: its home node first (the node the group is named after and
 * which prefers to lead it), then the other nodes in rendezvous (highest random weight) order for
 * the group. Every node computes the same answer from the same view, so no one has to decide it;
 * a node joining or leaving moves only the groups whose top R it enters or leaves.
 */
public final class Placement
{
    private Placement()
    {
    }

    /**
     * @param nodeId   a node.
     * @param groupKey a group's key.
     * @return the node's rendezvous score for the group.
     */
    public static long score(final String nodeId, final long groupKey)
    {
        return Hashing.mix(Hashing.hash64(nodeId), groupKey);
    }

    /**
     * @param homeNodeId        the group's home node (listed first when it is among the candidates).
     * @param nodeIds           candidate nodes.
     * @param groupKey          the group.
     * @param replicationFactor replicas wanted.
     * @return the replicas, home first, then by descending score; fewer when there are fewer nodes.
     */
    public static List<String> replicas(
        final String homeNodeId, final Collection<String> nodeIds, final long groupKey, final int replicationFactor)
    {
        final List<String> ranked = ranked(homeNodeId, nodeIds, groupKey);
        return List.copyOf(ranked.subList(0, Math.min(replicationFactor, ranked.size())));
    }

    /**
     * @param homeNodeId the group's home node.
     * @param nodeIds    candidate nodes.
     * @param groupKey   the group.
     * @return every candidate, home first, then by descending score (ties by id).
     */
    public static List<String> ranked(final String homeNodeId, final Collection<String> nodeIds, final long groupKey)
    {
        final List<String> ranked = new ArrayList<>(nodeIds.stream().distinct().toList());
        ranked.sort(Comparator.comparing((String id) -> !id.equals(homeNodeId))
            .thenComparing(Comparator.comparingLong((String id) -> score(id, groupKey)).reversed())
            .thenComparing(Comparator.naturalOrder()));
        return ranked;
    }
}
