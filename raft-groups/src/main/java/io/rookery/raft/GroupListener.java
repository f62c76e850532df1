package io.rookery.raft;

/**
 * Events of the Raft groups hosted on a node, called on Ratis's threads: keep the work short and
 * hand it to the thread that owns the state it changes.
 */
public interface GroupListener
{
    /**
     * @param group        the group's key.
     * @param leaderNodeId the new leader, or null when none is known.
     */
    default void onLeaderChanged(final long group, final String leaderNodeId)
    {
    }

    /**
     * This node leads the group and has applied everything committed before its term.
     *
     * @param group the group's key.
     */
    default void onLeaderReady(final long group)
    {
    }

    /**
     * A replica of the group was opened or closed on this node.
     *
     * @param group  the group's key.
     * @param hosted whether this node now holds a replica.
     */
    default void onReplicaChanged(final long group, final boolean hosted)
    {
    }

    /**
     * An applied entry changed what the group says about a partition.
     *
     * @param group     the group's key.
     * @param partition the partition.
     * @param ownership the group's side of it now.
     */
    default void onOwnershipChanged(final long group, final int partition, final Ownership ownership)
    {
    }

    /**
     * The group's whole state was replaced (a snapshot installed, or the replica opened): every
     * partition's ownership may have changed.
     *
     * @param group the group's key.
     */
    default void onOwnershipReloaded(final long group)
    {
    }
}
