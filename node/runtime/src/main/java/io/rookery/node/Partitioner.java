package io.rookery.node;

import io.rookery.api.AgentId;
import io.rookery.raft.Hashing;

/**
 * {@code partition = hash(type, key) mod P}. Part of the on-disk format: every node computes it
 * the same way, and changing it would move every agent.
 */
public final class Partitioner
{
    private Partitioner()
    {
    }

    /**
     * @param id             an agent.
     * @param partitionCount P.
     * @return the agent's partition.
     */
    public static int partition(final AgentId id, final int partitionCount)
    {
        return (int)Long.remainderUnsigned(Hashing.hash64(id.type(), id.key()), partitionCount);
    }
}
