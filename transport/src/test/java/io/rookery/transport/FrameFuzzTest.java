package io.rookery.transport;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.rookery.transport.codecs.AgentMessageDecoder;
import io.rookery.transport.codecs.AgentRequestDecoder;
import io.rookery.transport.codecs.AgentResponseDecoder;
import io.rookery.transport.codecs.EphemeralMessageDecoder;
import io.rookery.transport.codecs.FrameBatchDecoder;
import io.rookery.transport.codecs.MessageAckDecoder;
import io.rookery.transport.codecs.MessageHeaderDecoder;
import io.rookery.transport.codecs.PartitionHandoffDecoder;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hostile datagrams against what a node does with each one before its handler: the validator must
 * judge any bytes without throwing, and every frame it calls valid must decode completely (each
 * field the router reads, enums included) without reading past its end, alone or inside a batch.
 * <p>
 * Without {@code JAZZER_FUZZ} this replays the inputs kept under
 * {@code src/test/resources/io/rookery/transport/FrameFuzzTestInputs} (the regression tests);
 * {@code bin/fuzz} runs it coverage-guided.
 */
class FrameFuzzTest
{
    @FuzzTest
    void anyBytesAreJudgedAndEveryValidFrameDecodesWithinItsLength(final byte[] input)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(input);
        final int reason = FrameValidator.validate(buffer, 0, input.length);
        assertThat(reason).isBetween(FrameValidator.VALID, FrameValidator.REASON_COUNT - 1);
        if (reason != FrameValidator.VALID)
        {
            return;
        }
        if (FrameBatch.isBatch(buffer, 0))
        {
            decodeBatch(buffer, input.length);
        }
        else
        {
            assertThat(decode(buffer, 0, input.length)).isLessThanOrEqualTo(input.length);
        }
    }

    /**
     * Each frame of a batch as the conductor delivers it: validated on its own, decoded when valid.
     */
    private static void decodeBatch(final UnsafeBuffer buffer, final int length)
    {
        final MessageHeaderDecoder header = new MessageHeaderDecoder().wrap(buffer, 0);
        final FrameBatchDecoder batch = new FrameBatchDecoder().wrap(buffer, MessageHeaderDecoder.ENCODED_LENGTH,
            header.blockLength(), header.version());
        final UnsafeBuffer frame = new UnsafeBuffer(0, 0);
        for (final FrameBatchDecoder.FramesDecoder entry : batch.frames())
        {
            final int frameLength = entry.frameLength();
            final int frameOffset = batch.limit() + FrameBatchDecoder.FramesDecoder.frameHeaderLength();
            assertThat((long)frameOffset + frameLength).isLessThanOrEqualTo(length);
            frame.wrap(buffer, frameOffset, frameLength);
            entry.skipFrame();
            if (FrameValidator.validate(frame, 0, frameLength) == FrameValidator.VALID && !FrameBatch.isBatch(frame, 0))
            {
                assertThat(decode(frame, 0, frameLength)).isLessThanOrEqualTo(frameLength);
            }
        }
        assertThat(batch.limit()).isLessThanOrEqualTo(length);
    }

    /**
     * @return how far decoding every field went.
     */
    private static int decode(final DirectBuffer buffer, final int offset, final int length)
    {
        final MessageHeaderDecoder header = new MessageHeaderDecoder().wrap(buffer, offset);
        final int body = offset + MessageHeaderDecoder.ENCODED_LENGTH;
        final int blockLength = header.blockLength();
        final int version = header.version();
        switch (header.templateId())
        {
            case AgentRequestDecoder.TEMPLATE_ID ->
            {
                final AgentRequestDecoder d = new AgentRequestDecoder().wrap(buffer, body, blockLength, version);
                sink(d.correlationId() + d.senderNode() + d.partition() + d.senderTerm() + d.deadlineMs());
                sink(d.kind().ordinal() + d.durability().ordinal());
                sink(d.agentType().length() + d.agentKey().length() + d.senderType().length() +
                    d.senderKey().length() + d.idempotencyKey().length());
                d.getPayload(new byte[d.payloadLength()], 0, d.payloadLength());
                return d.limit() - offset;
            }
            case AgentResponseDecoder.TEMPLATE_ID ->
            {
                final AgentResponseDecoder d = new AgentResponseDecoder().wrap(buffer, body, blockLength, version);
                sink(d.correlationId() + d.senderNode() + d.leaderHint() + d.leaderTerm() + d.status().ordinal());
                d.getPayload(new byte[d.payloadLength()], 0, d.payloadLength());
                return d.limit() - offset;
            }
            case AgentMessageDecoder.TEMPLATE_ID ->
            {
                final AgentMessageDecoder d = new AgentMessageDecoder().wrap(buffer, body, blockLength, version);
                sink(d.senderNode() + d.sourcePartition() + d.targetPartition() + d.sequence() + d.sourceTerm() +
                    d.expectsReply());
                sink(d.targetType().length() + d.targetKey().length() + d.senderType().length() +
                    d.senderKey().length());
                d.getPayload(new byte[d.payloadLength()], 0, d.payloadLength());
                return d.limit() - offset;
            }
            case MessageAckDecoder.TEMPLATE_ID ->
            {
                final MessageAckDecoder d = new MessageAckDecoder().wrap(buffer, body, blockLength, version);
                sink(d.senderNode() + d.sourcePartition() + d.targetPartition() + d.sequence() + d.targetTerm() +
                    d.leaderHint() + d.status().ordinal());
                return d.limit() - offset;
            }
            case EphemeralMessageDecoder.TEMPLATE_ID ->
            {
                final EphemeralMessageDecoder d =
                    new EphemeralMessageDecoder().wrap(buffer, body, blockLength, version);
                sink(d.senderNode() + d.partition());
                sink(d.targetType().length() + d.targetKey().length() + d.senderType().length() +
                    d.senderKey().length());
                d.getPayload(new byte[d.payloadLength()], 0, d.payloadLength());
                return d.limit() - offset;
            }
            case PartitionHandoffDecoder.TEMPLATE_ID ->
            {
                final PartitionHandoffDecoder d =
                    new PartitionHandoffDecoder().wrap(buffer, body, blockLength, version);
                sink(d.correlationId() + d.senderNode() + d.partition() + d.epoch() + d.sourceGroup() +
                    d.targetGroup() + d.chunk() + d.last());
                d.getData(new byte[d.dataLength()], 0, d.dataLength());
                return d.limit() - offset;
            }
            default -> throw new AssertionError("the validator passed template " + header.templateId());
        }
    }

    private static long sunk;

    private static void sink(final long value)
    {
        sunk += value;
    }
}
