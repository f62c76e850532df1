package io.rookery.node;

import io.rookery.raft.Hashing;

/**
 * 64-bit keys that stand for node ids in frames, so routing a frame needs no strings.
 */
public final class NodeKeys
{
    /** Key meaning "no node". */
    public static final long NONE = 0;

    private NodeKeys()
    {
    }

    /**
     * @param nodeId a node id.
     * @return its key, never {@link #NONE}.
     */
    public static long of(final String nodeId)
    {
        final long key = Hashing.hash64("node:" + nodeId);
        return key == NONE ? 1 : key;
    }
}
