package io.rookery.raft;

/**
 * Hears about role changes of this node's partition replicas. Called on Ratis threads: hand off,
 * never block, and ask {@link PartitionGroups#status(int)} for details when handling the event.
 */
public interface PartitionListener
{
    /**
     * The group of a partition has a new leader, or lost its leader (an election is running).
     *
     * @param partition    the partition.
     * @param leaderNodeId the new leader's node id, or null when no leader is known.
     */
    default void onLeaderChanged(final int partition, final String leaderNodeId)
    {
    }

    /**
     * This node became the leader of a partition and has applied every entry committed before its
     * term: it may now serve the partition from its local store.
     *
     * @param partition the partition.
     */
    default void onLeaderReady(final int partition)
    {
    }

    /**
     * A replica of a partition was created or removed on this node.
     *
     * @param partition the partition.
     * @param hosted    whether this node now hosts a replica.
     */
    default void onReplicaChanged(final int partition, final boolean hosted)
    {
    }

    /**
     * A committed entry was applied to the local store of a replica.
     *
     * @param partition the partition.
     * @param index     the entry's index.
     */
    default void onApplied(final int partition, final long index)
    {
    }
}
