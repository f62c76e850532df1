package io.rookery.node;

import io.rookery.raft.Hashing;

/**
 * 64-bit keys that stand for node ids in frames, so routing a frame needs no strings.
 */
public final class NodeKeys
{
    /** Key meaning "no node". */
    public static final long NONE = 0;

    /** Node ids seen in this process and their keys: every frame sent looks one up. */
    private static final java.util.Map<String, Long> CACHE = new java.util.concurrent.ConcurrentHashMap<>();
    private static final int CACHE_LIMIT = 4096;

    private NodeKeys()
    {
    }

    /**
     * @param nodeId a node id.
     * @return its key, never {@link #NONE}.
     */
    public static long of(final String nodeId)
    {
        final Long cached = CACHE.get(nodeId);
        if (cached != null)
        {
            return cached;
        }
        final long key = Hashing.hash64("node:" + nodeId);
        final long result = key == NONE ? 1 : key;
        if (CACHE.size() < CACHE_LIMIT)
        {
            CACHE.put(nodeId, result);
        }
        return result;
    }
}
