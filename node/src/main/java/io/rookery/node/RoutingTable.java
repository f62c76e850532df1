package io.rookery.node;

import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;

import io.rookery.gossip.NodeMetadata;

/**
 * This node's belief of who leads each partition, and of every live node's endpoints.
 * <p>
 * Fed by three sources, the highest term winning: this node's own Raft replicas (exact for the
 * partitions it hosts), the leader claims other nodes gossip in their metadata, and redirect
 * hints from nodes that were asked but do not lead. A wrong belief costs one redirect; it is
 * never trusted for correctness, which the Raft term in each frame protects.
 */
final class RoutingTable
{
    /**
     * A partition's believed leader.
     *
     * @param nodeId leader node id, or null while no leader is known.
     * @param term   the term the belief is about.
     */
    record Leader(String nodeId, long term)
    {
    }

    private static final Leader UNKNOWN = new Leader(null, -1);

    private final AtomicReferenceArray<Leader> leaders;
    private final Map<String, NodeMetadata> nodes = new ConcurrentHashMap<>();
    private final Map<Long, String> nodeIdsByKey = new ConcurrentHashMap<>();

    RoutingTable(final int partitionCount)
    {
        leaders = new AtomicReferenceArray<>(partitionCount);
        for (int p = 0; p < partitionCount; p++)
        {
            leaders.set(p, UNKNOWN);
        }
    }

    Leader leader(final int partition)
    {
        return leaders.get(partition);
    }

    /**
     * @return true when the belief changed.
     */
    boolean observe(final int partition, final String nodeId, final long term)
    {
        while (true)
        {
            final Leader current = leaders.get(partition);
            final boolean newer = term > current.term();
            final boolean fillsGap = term == current.term() && current.nodeId() == null && nodeId != null;
            final boolean unknownTerm = term < 0 && nodeId != null && current.nodeId() == null;
            if (!newer && !fillsGap && !unknownTerm)
            {
                return false;
            }
            if (leaders.compareAndSet(partition, current, new Leader(nodeId, Math.max(term, current.term()))))
            {
                return true;
            }
        }
    }

    /**
     * Forgets a leader that stepped down (same term, so a newer claim still wins).
     */
    void forget(final int partition, final String nodeId)
    {
        final Leader current = leaders.get(partition);
        if (nodeId.equals(current.nodeId()))
        {
            leaders.compareAndSet(partition, current, new Leader(null, current.term()));
        }
    }

    void nodeUp(final NodeMetadata node)
    {
        nodes.put(node.nodeId(), node);
        nodeIdsByKey.put(NodeKeys.of(node.nodeId()), node.nodeId());
        for (int p = 0; p < leaders.length(); p++)
        {
            final long term = node.leaderTerm(p);
            if (term != NodeMetadata.NOT_LEADER)
            {
                observe(p, node.nodeId(), term);
            }
        }
    }

    void nodeDown(final NodeMetadata node)
    {
        nodes.remove(node.nodeId());
        for (int p = 0; p < leaders.length(); p++)
        {
            forget(p, node.nodeId());
        }
    }

    NodeMetadata node(final String nodeId)
    {
        return nodeId == null ? null : nodes.get(nodeId);
    }

    String nodeIdOf(final long nodeKey)
    {
        return nodeIdsByKey.get(nodeKey);
    }

    Collection<NodeMetadata> nodes()
    {
        return nodes.values();
    }

    int partitionCount()
    {
        return leaders.length();
    }
}
