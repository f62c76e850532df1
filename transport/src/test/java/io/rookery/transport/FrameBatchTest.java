package io.rookery.transport;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import io.rookery.transport.codecs.EphemeralMessageDecoder;
import io.rookery.transport.codecs.FrameBatchDecoder;
import io.rookery.transport.codecs.MessageHeaderDecoder;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The batch the conductor builds is the {@code FrameBatch} message of the schema, byte for byte.
 */
class FrameBatchTest
{
    private final UnsafeBuffer frame = new UnsafeBuffer(new byte[2048]);

    @Test
    void aSealedBatchDecodesWithTheGeneratedDecoderIntoTheOriginalFrames()
    {
        final FrameBatch batch = new FrameBatch(1376);
        final List<byte[]> sent = new ArrayList<>();
        for (int i = 0; i < 5; i++)
        {
            final int length = Frames.ephemeral(frame, 0, ("payload " + i).getBytes(StandardCharsets.UTF_8));
            final byte[] copy = new byte[length];
            frame.getBytes(0, copy);
            sent.add(copy);
            assertThat(batch.tryAppend(frame, 0, length)).isTrue();
        }
        final int length = batch.seal();
        assertThat(FrameValidator.validate(batch.buffer(), 0, length)).isEqualTo(FrameValidator.VALID);
        assertThat(FrameBatch.isBatch(batch.buffer(), 0)).isTrue();
        assertThat(FrameBatch.frameCount(batch.buffer(), 0)).isEqualTo(5);

        final MessageHeaderDecoder header = new MessageHeaderDecoder().wrap(batch.buffer(), 0);
        assertThat(header.templateId()).isEqualTo(FrameBatchDecoder.TEMPLATE_ID);
        final FrameBatchDecoder decoder = new FrameBatchDecoder()
            .wrap(batch.buffer(), MessageHeaderDecoder.ENCODED_LENGTH, header.blockLength(), header.version());
        final UnsafeBuffer inner = new UnsafeBuffer(0, 0);
        final EphemeralMessageDecoder ephemeral = new EphemeralMessageDecoder();
        int i = 0;
        for (final FrameBatchDecoder.FramesDecoder entry : decoder.frames())
        {
            entry.wrapFrame(inner);
            final byte[] received = new byte[inner.capacity()];
            inner.getBytes(0, received);
            assertThat(received).isEqualTo(sent.get(i));
            ephemeral.wrapAndApplyHeader(inner, 0, new MessageHeaderDecoder());
            ephemeral.skipTargetType();
            ephemeral.skipTargetKey();
            ephemeral.skipSenderType();
            ephemeral.skipSenderKey();
            final byte[] payload = new byte[ephemeral.payloadLength()];
            ephemeral.getPayload(payload, 0, payload.length);
            assertThat(new String(payload, StandardCharsets.UTF_8)).isEqualTo("payload " + i);
            i++;
        }
        assertThat(i).isEqualTo(5);
        assertThat(decoder.encodedLength() + MessageHeaderDecoder.ENCODED_LENGTH).isEqualTo(length);
    }

    @Test
    void everyCutShortBatchIsRefused()
    {
        final FrameBatch batch = new FrameBatch(1376);
        for (int i = 0; i < 3; i++)
        {
            batch.tryAppend(frame, 0, Frames.ack(frame, 0));
        }
        final int length = batch.seal();
        for (int cut = 0; cut < length; cut++)
        {
            assertThat(FrameValidator.validate(batch.buffer(), 0, cut)).as("cut at %d", cut)
                .isIn(FrameValidator.TOO_SHORT, FrameValidator.TRUNCATED);
        }
    }

    @Test
    void aFullBatchRefusesTheNextFrameAndStaysIntact()
    {
        final FrameBatch batch = new FrameBatch(256);
        final int length = Frames.ack(frame, 0);
        int appended = 0;
        while (batch.tryAppend(frame, 0, length))
        {
            appended++;
        }
        assertThat(appended).isEqualTo((256 - FrameBatch.HEADER_LENGTH) / (FrameBatch.ENTRY_HEADER_LENGTH + length));
        assertThat(batch.count()).isEqualTo(appended);
        assertThat(FrameValidator.validate(batch.buffer(), 0, batch.seal())).isEqualTo(FrameValidator.VALID);
        assertThat(batch.fits(256)).isFalse();
        batch.reset();
        assertThat(batch.isEmpty()).isTrue();
        assertThat(batch.tryAppend(frame, 0, length)).isTrue();
        assertThat(batch.firstFrameOffset()).isEqualTo(FrameBatch.HEADER_LENGTH + FrameBatch.ENTRY_HEADER_LENGTH);
        assertThat(batch.firstFrameLength()).isEqualTo(length);
    }
}
