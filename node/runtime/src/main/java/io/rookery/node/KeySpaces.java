package io.rookery.node;

import java.nio.ByteBuffer;
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

    /** Outbox of durable messages: key {@code target(u16 BE) seq(u64 BE)}, value the message. */
    static final byte OUTBOX = 2;

    /** Next outbox sequence per target partition: key {@code target(u16 BE)}, value u64. */
    static final byte OUTBOX_NEXT = 3;

    /** Highest sequence consumed per source partition: key {@code source(u16 BE)}, value u64. */
    static final byte INBOX = 5;

    /**
     * Replies to external requests that carried an idempotency key: key {@code len(type) type
     * len(key) key idempotency-key}, value {@code status u8, expires-at u64, reply}.
     */
    static final byte IDEMPOTENCY = 6;

    /**
     * Pending durable timers: key {@code due(u64 BE) len(type) type len(key) key name}, value the
     * message to deliver. Ordered by due time, so a new leader finds what is due by a scan.
     */
    static final byte TIMERS = 4;

    private KeySpaces()
    {
    }

    static byte[] stateKey(final AgentId id)
    {
        return Keys.key(STATE, agentBytes(id));
    }

    static byte[] statePrefix(final String type)
    {
        final byte[] bytes = type.getBytes(StandardCharsets.UTF_8);
        final byte[] prefix = new byte[1 + bytes.length + 1];
        prefix[0] = STATE;
        System.arraycopy(bytes, 0, prefix, 1, bytes.length);
        return prefix;
    }

    static AgentId agentOfStateKey(final byte[] key)
    {
        int separator = 1;
        while (key[separator] != 0)
        {
            separator++;
        }
        return new AgentId(new String(key, 1, separator - 1, StandardCharsets.UTF_8),
            new String(key, separator + 1, key.length - separator - 1, StandardCharsets.UTF_8));
    }

    static byte[] outboxKey(final int target, final long sequence)
    {
        return ByteBuffer.allocate(1 + 2 + 8).put(OUTBOX).putShort((short)target).putLong(sequence).array();
    }

    static byte[] outboxNextKey(final int target)
    {
        return ByteBuffer.allocate(1 + 2).put(OUTBOX_NEXT).putShort((short)target).array();
    }

    static byte[] inboxKey(final int source)
    {
        return ByteBuffer.allocate(1 + 2).put(INBOX).putShort((short)source).array();
    }

    static byte[] idempotencyKey(final AgentId id, final String key)
    {
        final byte[] type = id.type().getBytes(StandardCharsets.UTF_8);
        final byte[] agentKey = id.key().getBytes(StandardCharsets.UTF_8);
        final byte[] idem = key.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(1 + 2 + type.length + 2 + agentKey.length + idem.length)
            .put(IDEMPOTENCY).putShort((short)type.length).put(type).putShort((short)agentKey.length).put(agentKey)
            .put(idem).array();
    }

    static byte[] u64(final long value)
    {
        return ByteBuffer.allocate(8).putLong(value).array();
    }

    static long u64(final byte[] bytes)
    {
        return ByteBuffer.wrap(bytes).getLong();
    }

    static byte[] timerKey(final long dueMillis, final AgentId id, final String name)
    {
        final byte[] type = id.type().getBytes(StandardCharsets.UTF_8);
        final byte[] key = id.key().getBytes(StandardCharsets.UTF_8);
        final byte[] timer = name.getBytes(StandardCharsets.UTF_8);
        final ByteBuffer buffer = ByteBuffer.allocate(1 + 8 + 2 + type.length + 2 + key.length + timer.length);
        buffer.put(TIMERS).putLong(dueMillis)
            .putShort((short)type.length).put(type)
            .putShort((short)key.length).put(key)
            .put(timer);
        return buffer.array();
    }

    /**
     * A timer key taken apart.
     */
    record TimerKey(long dueMillis, AgentId agent, String name)
    {
    }

    static TimerKey decodeTimerKey(final byte[] storeKey)
    {
        final ByteBuffer buffer = ByteBuffer.wrap(storeKey);
        if (buffer.get() != TIMERS)
        {
            throw new IllegalArgumentException("not a timer key");
        }
        final long due = buffer.getLong();
        final byte[] type = new byte[buffer.getShort() & 0xFFFF];
        buffer.get(type);
        final byte[] key = new byte[buffer.getShort() & 0xFFFF];
        buffer.get(key);
        final byte[] name = new byte[buffer.remaining()];
        buffer.get(name);
        return new TimerKey(due, new AgentId(new String(type, StandardCharsets.UTF_8),
            new String(key, StandardCharsets.UTF_8)), new String(name, StandardCharsets.UTF_8));
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
