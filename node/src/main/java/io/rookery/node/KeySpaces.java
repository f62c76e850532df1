package io.rookery.node;

import java.nio.charset.StandardCharsets;

import io.rookery.api.AgentId;
import io.rookery.storage.Keys;

/**
 * The runtime's key spaces inside a partition's key range (key space 0 belongs to the store).
 */
final class KeySpaces
{
    /** Committed state of an agent: key {@code type 0x00 key}. */
    static final byte STATE = 1;

    private KeySpaces()
    {
    }

    static byte[] stateKey(final AgentId id)
    {
        return Keys.key(STATE, agentBytes(id));
    }

    static byte[] agentBytes(final AgentId id)
    {
        final byte[] type = id.type().getBytes(StandardCharsets.UTF_8);
        final byte[] key = id.key().getBytes(StandardCharsets.UTF_8);
        final byte[] bytes = new byte[type.length + 1 + key.length];
        System.arraycopy(type, 0, bytes, 0, type.length);
        System.arraycopy(key, 0, bytes, type.length + 1, key.length);
        return bytes;
    }
}
