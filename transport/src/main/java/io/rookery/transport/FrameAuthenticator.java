package io.rookery.transport;

import java.nio.ByteOrder;
import java.util.Objects;

import io.aeron.logbuffer.Header;
import io.aeron.protocol.DataHeaderFlyweight;
import org.agrona.DirectBuffer;

/**
 * A 64-bit MAC on every datagram a transport publishes, carried in the Aeron data header's
 * reserved value, so a receiver accepts only what a holder of the cluster key sent.
 * <p>
 * The MAC is SipHash-2-4 (a keyed pseudo-random function of 128-bit key built for short inputs)
 * over the fragment's place in its stream (session id, stream id, term id, term offset, flags,
 * frame length) followed by its payload. With batching a datagram carries many frames, so the cost is
 * paid per batch rather than per frame. Binding the position means a captured datagram replayed
 * into the same stream lands on a position Aeron has already consumed, and copied to another
 * position it no longer verifies. Chosen over HMAC-SHA256 from measurement: see docs/security.md.
 * <p>
 * Sending: passed to {@code ExclusivePublication.offer} as its reserved value supplier, it runs
 * after the payload is in the term buffer and before the frame is published. Receiving:
 * {@link #verify} per fragment, before reassembly. Not thread-safe; one per conductor.
 */
public final class FrameAuthenticator implements io.aeron.ReservedValueSupplier
{
    /** Length of the key in bytes. */
    public static final int KEY_LENGTH = 16;

    private final long k0;
    private final long k1;
    private long v0;
    private long v1;
    private long v2;
    private long v3;

    /**
     * @param key {@link #KEY_LENGTH} bytes; derive them from the cluster secret, never use it raw.
     */
    public FrameAuthenticator(final byte[] key)
    {
        Objects.requireNonNull(key, "key");
        if (key.length != KEY_LENGTH)
        {
            throw new IllegalArgumentException("a frame key has " + KEY_LENGTH + " bytes, not " + key.length);
        }
        this.k0 = littleEndianLong(key, 0);
        this.k1 = littleEndianLong(key, 8);
    }

    /**
     * Called by the publication with the frame already written at {@code termOffset}.
     */
    public long get(final DirectBuffer termBuffer, final int termOffset, final int frameLength)
    {
        return mac(
            termBuffer.getInt(termOffset + DataHeaderFlyweight.SESSION_ID_FIELD_OFFSET, ByteOrder.LITTLE_ENDIAN),
            termBuffer.getInt(termOffset + DataHeaderFlyweight.STREAM_ID_FIELD_OFFSET, ByteOrder.LITTLE_ENDIAN),
            termBuffer.getInt(termOffset + DataHeaderFlyweight.TERM_ID_FIELD_OFFSET, ByteOrder.LITTLE_ENDIAN),
            termOffset, termBuffer.getByte(termOffset + DataHeaderFlyweight.FLAGS_FIELD_OFFSET), frameLength,
            termBuffer, termOffset + DataHeaderFlyweight.HEADER_LENGTH,
            frameLength - DataHeaderFlyweight.HEADER_LENGTH);
    }

    /**
     * @param header of a received fragment.
     * @param buffer holding its payload.
     * @param offset of the payload.
     * @param length of the payload.
     * @return whether the fragment carries the MAC of its place and payload under this key.
     */
    public boolean verify(final Header header, final DirectBuffer buffer, final int offset, final int length)
    {
        final long expected = mac(header.sessionId(), header.streamId(), header.termId(), header.termOffset(),
            header.flags(), length + DataHeaderFlyweight.HEADER_LENGTH, buffer, offset, length);
        return expected == header.reservedValue();
    }

    /**
     * @return the MAC of a fragment at a place in a stream.
     */
    long mac(final int sessionId, final int streamId, final int termId, final int termOffset, final byte flags,
        final int frameLength, final DirectBuffer buffer, final int offset, final int length)
    {
        reset();
        absorb(((long)sessionId << 32) | (streamId & 0xFFFF_FFFFL));
        absorb(((long)termId << 32) | (termOffset & 0xFFFF_FFFFL));
        absorb(((flags & 0xFFL) << 32) | (frameLength & 0xFFFF_FFFFL));
        return finish(buffer, offset, length, 3 * 8 + length);
    }

    /**
     * @return SipHash-2-4 of the given bytes alone (for the reference vectors of the algorithm).
     */
    long hash(final DirectBuffer buffer, final int offset, final int length)
    {
        reset();
        return finish(buffer, offset, length, length);
    }

    private void reset()
    {
        v0 = k0 ^ 0x736f6d6570736575L;
        v1 = k1 ^ 0x646f72616e646f6dL;
        v2 = k0 ^ 0x6c7967656e657261L;
        v3 = k1 ^ 0x7465646279746573L;
    }

    private long finish(final DirectBuffer buffer, final int offset, final int length, final int totalLength)
    {
        final int words = length >>> 3;
        int position = offset;
        for (int i = 0; i < words; i++)
        {
            absorb(buffer.getLong(position, ByteOrder.LITTLE_ENDIAN));
            position += 8;
        }
        long last = ((long)totalLength & 0xFF) << 56;
        for (int i = 0, tail = length & 7; i < tail; i++)
        {
            last |= (buffer.getByte(position + i) & 0xFFL) << (8 * i);
        }
        absorb(last);
        v2 ^= 0xFF;
        round();
        round();
        round();
        round();
        return v0 ^ v1 ^ v2 ^ v3;
    }

    private void absorb(final long word)
    {
        v3 ^= word;
        round();
        round();
        v0 ^= word;
    }

    private void round()
    {
        v0 += v1;
        v1 = Long.rotateLeft(v1, 13);
        v1 ^= v0;
        v0 = Long.rotateLeft(v0, 32);
        v2 += v3;
        v3 = Long.rotateLeft(v3, 16);
        v3 ^= v2;
        v0 += v3;
        v3 = Long.rotateLeft(v3, 21);
        v3 ^= v0;
        v2 += v1;
        v1 = Long.rotateLeft(v1, 17);
        v1 ^= v2;
        v2 = Long.rotateLeft(v2, 32);
    }

    private static long littleEndianLong(final byte[] bytes, final int offset)
    {
        long value = 0;
        for (int i = 7; i >= 0; i--)
        {
            value = (value << 8) | (bytes[offset + i] & 0xFFL);
        }
        return value;
    }
}
