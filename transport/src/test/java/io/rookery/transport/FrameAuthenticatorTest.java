package io.rookery.transport;

import io.aeron.logbuffer.Header;
import io.aeron.protocol.DataHeaderFlyweight;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FrameAuthenticatorTest
{
    private static final byte[] KEY = sequence(16);

    @Test
    void matchesTheReferenceVectorOfSipHash24()
    {
        // The SipHash paper's worked example: key 00..0f, message 00..0e.
        final UnsafeBuffer message = new UnsafeBuffer(sequence(15));
        assertThat(new FrameAuthenticator(KEY).hash(message, 0, 15)).isEqualTo(0xa129ca6149be45e5L);
    }

    @Test
    void whatTheSenderWritesTheReceiverVerifies()
    {
        final FrameAuthenticator sender = new FrameAuthenticator(KEY);
        final FrameAuthenticator receiver = new FrameAuthenticator(KEY);
        for (final int payload : new int[] {0, 1, 7, 8, 9, 63, 1376})
        {
            final UnsafeBuffer term = termWithFrame(96, payload);
            term.putLong(96 + DataHeaderFlyweight.RESERVED_VALUE_OFFSET,
                sender.get(term, 96, DataHeaderFlyweight.HEADER_LENGTH + payload));
            assertThat(receiver.verify(header(term, 96), term, 96 + DataHeaderFlyweight.HEADER_LENGTH, payload))
                .as("payload of %d bytes", payload).isTrue();
        }
    }

    @Test
    void aChangedByteOrPlaceOrKeyFailsVerification()
    {
        final int payload = 100;
        final UnsafeBuffer term = termWithFrame(64, payload);
        term.putLong(64 + DataHeaderFlyweight.RESERVED_VALUE_OFFSET,
            new FrameAuthenticator(KEY).get(term, 64, DataHeaderFlyweight.HEADER_LENGTH + payload));
        final FrameAuthenticator receiver = new FrameAuthenticator(KEY);
        final int data = 64 + DataHeaderFlyweight.HEADER_LENGTH;
        assertThat(receiver.verify(header(term, 64), term, data, payload)).isTrue();

        term.putByte(data + 50, (byte)(term.getByte(data + 50) ^ 1));
        assertThat(receiver.verify(header(term, 64), term, data, payload)).as("payload bit flipped").isFalse();
        term.putByte(data + 50, (byte)(term.getByte(data + 50) ^ 1));

        term.putInt(64 + DataHeaderFlyweight.TERM_OFFSET_FIELD_OFFSET, 4096);
        assertThat(receiver.verify(header(term, 64), term, data, payload)).as("replayed at another place").isFalse();
        term.putInt(64 + DataHeaderFlyweight.TERM_OFFSET_FIELD_OFFSET, 64);

        term.putInt(64 + DataHeaderFlyweight.SESSION_ID_FIELD_OFFSET, 8);
        assertThat(receiver.verify(header(term, 64), term, data, payload)).as("another session").isFalse();
        term.putInt(64 + DataHeaderFlyweight.SESSION_ID_FIELD_OFFSET, 7);

        assertThat(receiver.verify(header(term, 64), term, data, payload - 1)).as("truncated").isFalse();
        final byte[] otherKey = sequence(16);
        otherKey[15] ^= 1;
        assertThat(new FrameAuthenticator(otherKey).verify(header(term, 64), term, data, payload))
            .as("another key").isFalse();
        assertThat(receiver.verify(header(term, 64), term, data, payload)).as("restored").isTrue();
    }

    @Test
    void aKeyHasSixteenBytes()
    {
        assertThatThrownBy(() -> new FrameAuthenticator(new byte[15])).hasMessageContaining("16 bytes");
        assertThatThrownBy(() -> new AeronTransport.Context().frameKey(new byte[32]))
            .hasMessageContaining("frameKey");
    }

    private static UnsafeBuffer termWithFrame(final int termOffset, final int payload)
    {
        final UnsafeBuffer term = new UnsafeBuffer(new byte[64 * 1024]);
        final DataHeaderFlyweight flyweight = new DataHeaderFlyweight();
        flyweight.wrap(term, termOffset, DataHeaderFlyweight.HEADER_LENGTH);
        flyweight.frameLength(DataHeaderFlyweight.HEADER_LENGTH + payload)
            .version(DataHeaderFlyweight.CURRENT_VERSION)
            .flags(DataHeaderFlyweight.BEGIN_AND_END_FLAGS)
            .headerType(DataHeaderFlyweight.HDR_TYPE_DATA);
        flyweight.termOffset(termOffset).sessionId(7).streamId(AeronTransport.STREAM_ID).termId(11);
        for (int i = 0; i < payload; i++)
        {
            term.putByte(termOffset + DataHeaderFlyweight.HEADER_LENGTH + i, (byte)(i * 31));
        }
        return term;
    }

    private static Header header(final UnsafeBuffer term, final int frameOffset)
    {
        final Header header = new Header(0, 16);
        header.buffer(term);
        header.offset(frameOffset);
        return header;
    }

    private static byte[] sequence(final int length)
    {
        final byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)i;
        }
        return bytes;
    }
}
