package io.rookery.api;

/**
 * What the runtime promises about an agent's state and messages.
 */
public enum Durability
{
    /**
     * State and effects are replicated through the partition's Raft group before anything the
     * turn produced (reply, messages) leaves the node. A turn's effects apply exactly once; a
     * leader failure loses no acknowledged turn.
     */
    DURABLE,

    /**
     * State lives in memory on the partition leader only and is lost with it; messages are
     * delivered at most once. The fastest path, for compute agents and caches.
     */
    EPHEMERAL
}
