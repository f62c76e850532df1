package io.rookery.node;

import io.rookery.storage.NodeStore;

/**
 * One partition's committed range as one group holds it in this node's store: what the runtime
 * reads when it loads an agent, an outbox or a timer of a partition it serves.
 *
 * @param store     the node's store.
 * @param group     the group holding the range.
 * @param partition the partition.
 */
record PartitionStore(NodeStore store, long group, int partition)
{
    byte[] get(final byte[] key)
    {
        return store.get(group, partition, key);
    }

    void scan(final byte[] prefix, final NodeStore.Visitor visitor)
    {
        store.scan(group, partition, prefix, visitor);
    }
}
