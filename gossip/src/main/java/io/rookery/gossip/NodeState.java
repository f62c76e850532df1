package io.rookery.gossip;

/**
 * Life-cycle state a node announces in its metadata.
 */
public enum NodeState
{
    /** Started; still creating or loading its partition replicas. */
    JOINING,
    /** Serving. */
    ACTIVE,
    /** An operator asked it to leave: it is handing off leaderships and replicas. */
    DRAINING,
    /** Shutting down. */
    LEAVING;

    static NodeState fromOrdinal(final int ordinal)
    {
        final NodeState[] values = values();
        if (ordinal < 0 || ordinal >= values.length)
        {
            throw new IllegalArgumentException("unknown node state " + ordinal);
        }
        return values[ordinal];
    }
}
