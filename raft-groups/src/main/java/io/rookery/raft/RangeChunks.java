package io.rookery.raft;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import io.rookery.storage.NodeStore;

/**
 * A partition's key range cut into chunks small enough for one log entry and one transport frame,
 * for a handoff. A chunk is {@code count u32, then per pair: key length u32, key, value length
 * u32, value}; the source reads its sealed (hence unchanging) copy, so chunks cut twice are the same.
 */
public final class RangeChunks
{
    private RangeChunks()
    {
    }

    /**
     * Reads a partition's whole range in one group of this node's store and cuts it into chunks.
     * A range with nothing in it is one empty chunk, so that every handoff has a last chunk.
     *
     * @param store     the store.
     * @param group     the group holding the range.
     * @param partition the partition.
     * @param maxBytes  size a chunk stays under (one pair larger than that is a chunk of its own).
     * @return the chunks, at least one.
     */
    public static List<byte[]> read(final NodeStore store, final long group, final int partition, final int maxBytes)
    {
        final List<byte[]> chunks = new ArrayList<>();
        final List<byte[][]> pairs = new ArrayList<>();
        final int[] size = {4};
        store.scan(group, partition, new byte[0], (key, value) ->
        {
            final int pairBytes = 8 + key.length + value.length;
            if (!pairs.isEmpty() && size[0] + pairBytes > maxBytes)
            {
                chunks.add(encode(pairs, size[0]));
                pairs.clear();
                size[0] = 4;
            }
            pairs.add(new byte[][] {key, value});
            size[0] += pairBytes;
            return true;
        });
        if (!pairs.isEmpty() || chunks.isEmpty())
        {
            chunks.add(encode(pairs, size[0]));
        }
        return chunks;
    }

    /**
     * Visits the pairs of a chunk.
     *
     * @param chunk   an encoded chunk.
     * @param visitor receives each key and value.
     * @throws IllegalStateException when the chunk is malformed.
     */
    public static void forEach(final byte[] chunk, final NodeStore.Visitor visitor)
    {
        try
        {
            final ByteBuffer buffer = ByteBuffer.wrap(chunk);
            final int count = buffer.getInt();
            for (int i = 0; i < count; i++)
            {
                final byte[] key = new byte[length(buffer)];
                buffer.get(key);
                final byte[] value = new byte[length(buffer)];
                buffer.get(value);
                visitor.visit(key, value);
            }
            if (buffer.hasRemaining())
            {
                throw new IllegalStateException(buffer.remaining() + " bytes after the last pair");
            }
        }
        catch (final RuntimeException ex)
        {
            throw new IllegalStateException("malformed range chunk of " + chunk.length + " bytes: " + ex, ex);
        }
    }

    /** A length read from a chunk, checked against what is left before anything is allocated for it. */
    private static int length(final ByteBuffer buffer)
    {
        final int length = buffer.getInt();
        if (length < 0 || length > buffer.remaining())
        {
            throw new IllegalStateException("a field of " + length + " bytes with " + buffer.remaining() + " left");
        }
        return length;
    }

    private static byte[] encode(final List<byte[][]> pairs, final int size)
    {
        final ByteBuffer buffer = ByteBuffer.allocate(size).putInt(pairs.size());
        for (final byte[][] pair : pairs)
        {
            buffer.putInt(pair[0].length).put(pair[0]).putInt(pair[1].length).put(pair[1]);
        }
        return buffer.array();
    }
}
