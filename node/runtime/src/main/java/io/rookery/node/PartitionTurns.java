package io.rookery.node;

import java.util.HashMap;
import java.util.Map;

import io.rookery.api.AgentId;
import io.rookery.api.AgentType;

/**
 * What a group's leader holds in memory for one partition whose turns it runs: the active agents,
 * the exactly-once messaging state and the replies of idempotent requests not yet committed. Made
 * from the committed store when the partition starts being served here (leadership gained, resync
 * done, adoption applied) and dropped, never cleared by hand, when it stops.
 */
final class PartitionTurns
{
    /**
     * An agent in memory, with the batch that last changed it (it stays until that one commits).
     */
    static final class Activation
    {
        final AgentType<Object, Object> type;
        Object state;
        long lastSeq;
        long lastUsedNs;

        Activation(final AgentType<Object, Object> type, final Object state)
        {
            this.type = type;
            this.state = state;
        }
    }

    final int partition;
    final long epoch;
    final PartitionStore store;
    final PartitionMessaging messaging;
    final Map<AgentId, Activation> agents = new HashMap<>();
    final Map<AgentId, Activation> ephemeralAgents = new HashMap<>();
    final Map<String, Response> idempotentPending = new HashMap<>();

    PartitionTurns(final PartitionStore store, final long epoch)
    {
        this.partition = store.partition();
        this.epoch = epoch;
        this.store = store;
        this.messaging = new PartitionMessaging(store);
        messaging.load();
    }

    /**
     * @param term the serving leader's term.
     * @return the fence its messages carry.
     */
    long fence(final long term)
    {
        return Fences.of(epoch, term);
    }

    int activeAgents()
    {
        return agents.size() + ephemeralAgents.size();
    }
}
