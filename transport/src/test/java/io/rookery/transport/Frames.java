package io.rookery.transport;

import java.nio.ByteOrder;

import io.rookery.transport.codecs.AgentMessageEncoder;
import io.rookery.transport.codecs.AgentRequestEncoder;
import io.rookery.transport.codecs.AgentResponseEncoder;
import io.rookery.transport.codecs.Durability;
import io.rookery.transport.codecs.EphemeralMessageEncoder;
import io.rookery.transport.codecs.MessageAckEncoder;
import io.rookery.transport.codecs.MessageHeaderEncoder;
import io.rookery.transport.codecs.RequestKind;
import io.rookery.transport.codecs.Status;
import org.agrona.MutableDirectBuffer;

/**
 * Real frames of every template, encoded with the generated SBE encoders, for the tests.
 */
final class Frames
{
    static final int HEADER = MessageHeaderEncoder.ENCODED_LENGTH;
    static final int BLOCK_LENGTH_OFFSET = 0;
    static final int TEMPLATE_ID_OFFSET = 2;
    static final int SCHEMA_ID_OFFSET = 4;
    static final int VERSION_OFFSET = 6;

    private Frames()
    {
    }

    /**
     * @return length of an AgentRequest frame encoded at {@code offset}.
     */
    static int request(
        final MutableDirectBuffer buffer,
        final int offset,
        final long correlationId,
        final String agentKey,
        final byte[] payload)
    {
        final AgentRequestEncoder encoder = new AgentRequestEncoder()
            .wrapAndApplyHeader(buffer, offset, new MessageHeaderEncoder())
            .correlationId(correlationId)
            .senderNode(0x5E4D)
            .partition(3)
            .senderTerm(7)
            .kind(RequestKind.ASK)
            .durability(Durability.DURABLE)
            .deadlineMs(1_700_000_000_000L)
            .agentType("counter")
            .agentKey(agentKey)
            .senderType("")
            .senderKey("")
            .idempotencyKey("idem-" + correlationId);
        encoder.putPayload(payload, 0, payload.length);
        return HEADER + encoder.encodedLength();
    }

    static int response(final MutableDirectBuffer buffer, final int offset, final byte[] payload)
    {
        final AgentResponseEncoder encoder = new AgentResponseEncoder()
            .wrapAndApplyHeader(buffer, offset, new MessageHeaderEncoder())
            .correlationId(42)
            .senderNode(1)
            .status(Status.REDIRECT)
            .leaderHint(2)
            .leaderTerm(3);
        encoder.putPayload(payload, 0, payload.length);
        return HEADER + encoder.encodedLength();
    }

    static int agentMessage(final MutableDirectBuffer buffer, final int offset, final byte[] payload)
    {
        final AgentMessageEncoder encoder = new AgentMessageEncoder()
            .wrapAndApplyHeader(buffer, offset, new MessageHeaderEncoder())
            .senderNode(1)
            .sourcePartition(2)
            .targetPartition(3)
            .sequence(4)
            .sourceTerm(5)
            .targetType("counter")
            .targetKey("target")
            .senderType("counter")
            .senderKey("source");
        encoder.putPayload(payload, 0, payload.length);
        return HEADER + encoder.encodedLength();
    }

    static int ack(final MutableDirectBuffer buffer, final int offset)
    {
        final MessageAckEncoder encoder = new MessageAckEncoder()
            .wrapAndApplyHeader(buffer, offset, new MessageHeaderEncoder())
            .senderNode(1)
            .sourcePartition(2)
            .targetPartition(3)
            .sequence(4)
            .targetTerm(5)
            .status(Status.OK)
            .leaderHint(0);
        return HEADER + encoder.encodedLength();
    }

    static int ephemeral(final MutableDirectBuffer buffer, final int offset, final byte[] payload)
    {
        final EphemeralMessageEncoder encoder = new EphemeralMessageEncoder()
            .wrapAndApplyHeader(buffer, offset, new MessageHeaderEncoder())
            .senderNode(1)
            .partition(2)
            .targetType("chat")
            .targetKey("room-\u00e9")
            .senderType("")
            .senderKey("");
        encoder.putPayload(payload, 0, payload.length);
        return HEADER + encoder.encodedLength();
    }

    static void putU16(final MutableDirectBuffer buffer, final int index, final int value)
    {
        buffer.putShort(index, (short)value, ByteOrder.LITTLE_ENDIAN);
    }

    static void putU32(final MutableDirectBuffer buffer, final int index, final long value)
    {
        buffer.putInt(index, (int)value, ByteOrder.LITTLE_ENDIAN);
    }
}
