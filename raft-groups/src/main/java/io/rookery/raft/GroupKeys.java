package io.rookery.raft;

import java.util.UUID;

import io.rookery.storage.Keys;
import org.apache.ratis.protocol.RaftGroupId;

/**
 * Names of Raft groups. Every node is the home of one group, named after it, which it creates when
 * it first joins and prefers to lead; a group is identified everywhere by a 64-bit key derived from
 * its home node's id, which also prefixes the group's key range in every node's store, and by a
 * Ratis group id that carries the cluster and that key, so a replica found on disk at restart
 * names its group without any other record.
 */
public final class GroupKeys
{
    private GroupKeys()
    {
    }

    /**
     * @param homeNodeId the node the group belongs to.
     * @return the group's key (never the store's reserved -1).
     */
    public static long of(final String homeNodeId)
    {
        final long key = Hashing.hash64("group", homeNodeId);
        // -1 is the store's reserved key and 0 means "no group" in an assignment.
        return key == -1L ? Keys.MAX_GROUP : key == 0 ? 1 : key;
    }

    /**
     * @param clusterId the cluster.
     * @param groupKey  the group's key.
     * @return the Ratis group id, the same on every node.
     */
    public static RaftGroupId raftGroupId(final String clusterId, final long groupKey)
    {
        return RaftGroupId.valueOf(new UUID(clusterBits(clusterId), groupKey));
    }

    /**
     * @param clusterId the cluster.
     * @param id        a Ratis group id.
     * @return the group key it carries.
     * @throws IllegalArgumentException when the id belongs to another cluster.
     */
    public static long groupKeyOf(final String clusterId, final RaftGroupId id)
    {
        final UUID uuid = id.getUuid();
        if (uuid.getMostSignificantBits() != clusterBits(clusterId))
        {
            throw new IllegalArgumentException("group " + id + " is not a group of cluster '" + clusterId + "'");
        }
        return uuid.getLeastSignificantBits();
    }

    /**
     * @param groupKey a group key.
     * @return its short printable form.
     */
    public static String hex(final long groupKey)
    {
        return String.format("%016x", groupKey);
    }

    private static long clusterBits(final String clusterId)
    {
        // A fixed tag in the top bits keeps these ids apart from the name-based UUIDs of older layouts.
        return (Hashing.hash64("rookery-cluster", clusterId) & 0x0000_FFFF_FFFF_FFFFL) | 0x5247_0000_0000_0000L;
    }
}
