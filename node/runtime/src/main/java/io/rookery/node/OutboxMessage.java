package io.rookery.node;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import io.rookery.api.AgentId;

/**
 * A durable agent-to-agent message held in its source partition's replicated outbox until the
 * target partition acknowledges it.
 * <p>
 * Stored as {@code flags u8, sender type, sender key, target type, target key (each u16 length +
 * UTF-8), payload}.
 */
final class OutboxMessage
{
    final int targetPartition;
    final long sequence;
    final AgentId sender;
    final AgentId target;
    final boolean expectsReply;
    final byte[] payload;
    boolean committed;

    OutboxMessage(
        final int targetPartition,
        final long sequence,
        final AgentId sender,
        final AgentId target,
        final boolean expectsReply,
        final byte[] payload)
    {
        this.targetPartition = targetPartition;
        this.sequence = sequence;
        this.sender = sender;
        this.target = target;
        this.expectsReply = expectsReply;
        this.payload = payload;
    }

    byte[] encode()
    {
        final byte[][] strings = {
            utf8(sender.type()), utf8(sender.key()), utf8(target.type()), utf8(target.key())
        };
        int length = 1 + payload.length;
        for (final byte[] s : strings)
        {
            length += 2 + s.length;
        }
        final ByteBuffer buffer = ByteBuffer.allocate(length).put((byte)(expectsReply ? 1 : 0));
        for (final byte[] s : strings)
        {
            buffer.putShort((short)s.length).put(s);
        }
        return buffer.put(payload).array();
    }

    static OutboxMessage decode(final int targetPartition, final long sequence, final byte[] bytes)
    {
        final ByteBuffer buffer = ByteBuffer.wrap(bytes);
        final boolean expectsReply = buffer.get() == 1;
        final AgentId sender = new AgentId(string(buffer), string(buffer));
        final AgentId target = new AgentId(string(buffer), string(buffer));
        final byte[] payload = new byte[buffer.remaining()];
        buffer.get(payload);
        final OutboxMessage message =
            new OutboxMessage(targetPartition, sequence, sender, target, expectsReply, payload);
        message.committed = true;
        return message;
    }

    private static byte[] utf8(final String s)
    {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String string(final ByteBuffer buffer)
    {
        final byte[] bytes = new byte[buffer.getShort() & 0xFFFF];
        buffer.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
