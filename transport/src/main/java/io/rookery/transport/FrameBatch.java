package io.rookery.transport;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import io.rookery.transport.codecs.FrameBatchDecoder;
import io.rookery.transport.codecs.FrameBatchEncoder;
import io.rookery.transport.codecs.MessageHeaderEncoder;
import org.agrona.BitUtil;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Collects frames bound for one peer into a {@code FrameBatch} message, in the layout the SBE
 * schema defines (message header, an empty block, a {@code frames} group of var-data entries), so
 * that what the conductor finds queued for a peer goes out as one Aeron message. Appends copy the
 * frame once; the header is written when the batch is sealed, once its count is known.
 * Single-threaded (the conductor's) and allocation free after construction.
 */
final class FrameBatch
{
    /** Bytes before the first entry: message header, block, group header. */
    static final int HEADER_LENGTH = MessageHeaderEncoder.ENCODED_LENGTH + FrameBatchEncoder.BLOCK_LENGTH +
        FrameBatchEncoder.FramesEncoder.sbeHeaderSize();
    /** Bytes in front of each frame: its length. */
    static final int ENTRY_HEADER_LENGTH = FrameBatchEncoder.FramesEncoder.frameHeaderLength();

    private final UnsafeBuffer buffer;
    private int limit = HEADER_LENGTH;
    private int count;

    /**
     * @param capacity largest batch, header included (one MTU's payload keeps a batch in one datagram).
     */
    FrameBatch(final int capacity)
    {
        buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(BitUtil.align(capacity, 64)), 0, capacity);
    }

    /**
     * @return whether a frame of this length can ever be batched.
     */
    boolean fits(final int frameLength)
    {
        return HEADER_LENGTH + ENTRY_HEADER_LENGTH + frameLength <= buffer.capacity();
    }

    /**
     * @return false, leaving the batch unchanged, when the frame does not fit in what is left.
     */
    boolean tryAppend(final DirectBuffer frame, final int offset, final int length)
    {
        final int entryLength = ENTRY_HEADER_LENGTH + length;
        if (limit + entryLength > buffer.capacity() || count == FrameBatchEncoder.FramesEncoder.countMaxValue())
        {
            return false;
        }
        buffer.putInt(limit, length, ByteOrder.LITTLE_ENDIAN);
        buffer.putBytes(limit + ENTRY_HEADER_LENGTH, frame, offset, length);
        limit += entryLength;
        count++;
        return true;
    }

    boolean isEmpty()
    {
        return count == 0;
    }

    int count()
    {
        return count;
    }

    DirectBuffer buffer()
    {
        return buffer;
    }

    /**
     * @return offset of the first frame (what to send unwrapped when the batch holds one frame).
     */
    int firstFrameOffset()
    {
        return HEADER_LENGTH + ENTRY_HEADER_LENGTH;
    }

    /**
     * @return length of the first frame.
     */
    int firstFrameLength()
    {
        return buffer.getInt(HEADER_LENGTH, ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Writes the message and group headers.
     *
     * @return the length of the batch message, from offset 0.
     */
    int seal()
    {
        buffer.putShort(0, (short)FrameBatchEncoder.BLOCK_LENGTH, ByteOrder.LITTLE_ENDIAN);
        buffer.putShort(2, (short)FrameBatchEncoder.TEMPLATE_ID, ByteOrder.LITTLE_ENDIAN);
        buffer.putShort(4, (short)FrameBatchEncoder.SCHEMA_ID, ByteOrder.LITTLE_ENDIAN);
        buffer.putShort(6, (short)FrameBatchEncoder.SCHEMA_VERSION, ByteOrder.LITTLE_ENDIAN);
        final int groupHeader = MessageHeaderEncoder.ENCODED_LENGTH + FrameBatchEncoder.BLOCK_LENGTH;
        buffer.putShort(groupHeader, (short)0, ByteOrder.LITTLE_ENDIAN);
        buffer.putShort(groupHeader + 2, (short)count, ByteOrder.LITTLE_ENDIAN);
        return limit;
    }

    void reset()
    {
        limit = HEADER_LENGTH;
        count = 0;
    }

    /**
     * @param buffer holding a frame that passed {@link FrameValidator#validate}.
     * @param offset of the frame.
     * @return whether it is a batch.
     */
    static boolean isBatch(final DirectBuffer buffer, final int offset)
    {
        return (buffer.getShort(offset + 2, ByteOrder.LITTLE_ENDIAN) & 0xFFFF) == FrameBatchDecoder.TEMPLATE_ID;
    }

    /**
     * @param buffer holding a valid batch.
     * @param offset of the batch.
     * @return frames in it.
     */
    static int frameCount(final DirectBuffer buffer, final int offset)
    {
        final int blockLength = buffer.getShort(offset, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        return buffer.getShort(offset + MessageHeaderEncoder.ENCODED_LENGTH + blockLength + 2,
            ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
    }
}
