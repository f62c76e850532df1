package io.rookery.gossip;

/**
 * Hears about changes of the membership view. Called on gossip's own thread, one event at a time,
 * so implementations must hand work off rather than block.
 */
public interface MembershipListener
{
    /**
     * A node became visible (joined, or was seen again after a partition healed).
     *
     * @param node its metadata.
     */
    default void onJoined(final NodeMetadata node)
    {
    }

    /**
     * A visible node changed its metadata (state, leaderships).
     *
     * @param previous metadata before the change.
     * @param current  metadata after the change.
     */
    default void onUpdated(final NodeMetadata previous, final NodeMetadata current)
    {
    }

    /**
     * A node is gone: it announced it was leaving, or the failure detector declared it dead.
     *
     * @param node     its last known metadata.
     * @param graceful true when it announced its departure.
     */
    default void onLeft(final NodeMetadata node, final boolean graceful)
    {
    }
}
