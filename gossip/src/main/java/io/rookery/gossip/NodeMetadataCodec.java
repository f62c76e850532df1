package io.rookery.gossip;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import io.scalecube.cluster.metadata.MetadataCodec;

/**
 * Explicit binary encoding of {@link NodeMetadata} for ScaleCube, instead of its default JDK
 * serialisation: versioned, compact, and decoding garbage fails with a clear message.
 * <p>
 * Layout (big-endian): magic u16, version u8, state u8, partitionCount u16, then the strings
 * nodeId, clusterId, aeronEndpoint, raftEndpoint, httpEndpoint (u16 length + UTF-8), then the
 * number of led partitions u16 and that many (partition u16, term i64) pairs, then the hosted
 * bit set (u16 byte count + bytes, partition p is bit p%8 of byte p/8) and the moves in progress u16.
 */
public final class NodeMetadataCodec implements MetadataCodec
{
    /** Shared instance; the codec is stateless. */
    public static final NodeMetadataCodec INSTANCE = new NodeMetadataCodec();

    private static final short MAGIC = (short)0x524B;
    private static final byte VERSION = 1;
    private static final int MAX_STRING = 1024;

    public Object deserialize(final ByteBuffer buffer)
    {
        if (buffer == null || buffer.remaining() == 0)
        {
            return null;
        }
        return decode(buffer.duplicate());
    }

    public ByteBuffer serialize(final Object metadata)
    {
        if (metadata == null)
        {
            return ByteBuffer.allocate(0);
        }
        return encode((NodeMetadata)metadata);
    }

    /**
     * @param metadata to encode.
     * @return a buffer positioned at 0 holding the encoding.
     */
    public static ByteBuffer encode(final NodeMetadata metadata)
    {
        final byte[][] strings = {
            utf8(metadata.nodeId()),
            utf8(metadata.clusterId()),
            utf8(metadata.aeronEndpoint()),
            utf8(metadata.raftEndpoint()),
            utf8(metadata.httpEndpoint())
        };
        int led = 0;
        for (final long term : metadata.leaderTerms())
        {
            if (term != NodeMetadata.NOT_LEADER)
            {
                led++;
            }
        }
        final int hostedBytes = (metadata.partitionCount() + 7) / 8;
        int length = 2 + 1 + 1 + 2 + 2 + led * 10 + 2 + hostedBytes + 2;
        for (final byte[] s : strings)
        {
            length += 2 + s.length;
        }
        final ByteBuffer buffer = ByteBuffer.allocate(length);
        buffer.putShort(MAGIC).put(VERSION).put((byte)metadata.state().ordinal())
            .putShort((short)metadata.partitionCount());
        for (final byte[] s : strings)
        {
            buffer.putShort((short)s.length).put(s);
        }
        buffer.putShort((short)led);
        final long[] terms = metadata.leaderTerms();
        for (int p = 0; p < terms.length; p++)
        {
            if (terms[p] != NodeMetadata.NOT_LEADER)
            {
                buffer.putShort((short)p).putLong(terms[p]);
            }
        }
        buffer.putShort((short)hostedBytes);
        for (int i = 0; i < hostedBytes; i++)
        {
            buffer.put((byte)(metadata.hosted()[i >>> 3] >>> ((i & 7) * 8)));
        }
        buffer.putShort((short)Math.min(metadata.movesInProgress(), 0xFFFF));
        return buffer.flip();
    }

    /**
     * @param buffer holding an encoding from {@link #encode(NodeMetadata)}.
     * @return the metadata.
     * @throws IllegalArgumentException when the bytes are not a valid encoding.
     */
    public static NodeMetadata decode(final ByteBuffer buffer)
    {
        try
        {
            if (buffer.getShort() != MAGIC)
            {
                throw new IllegalArgumentException("not Rookery node metadata (bad magic)");
            }
            final byte version = buffer.get();
            if (version != VERSION)
            {
                throw new IllegalArgumentException("unsupported node metadata version " + version);
            }
            final NodeState state = NodeState.fromOrdinal(buffer.get());
            final int partitionCount = buffer.getShort() & 0xFFFF;
            final String nodeId = string(buffer);
            final String clusterId = string(buffer);
            final String aeron = string(buffer);
            final String raft = string(buffer);
            final String http = string(buffer);
            final NodeMetadata base = NodeMetadata.joining(nodeId, clusterId, partitionCount, aeron, raft, http);
            final long[] terms = base.leaderTerms();
            final int led = buffer.getShort() & 0xFFFF;
            for (int i = 0; i < led; i++)
            {
                final int p = buffer.getShort() & 0xFFFF;
                if (p >= partitionCount)
                {
                    throw new IllegalArgumentException("leader claim for partition " + p + " >= " + partitionCount);
                }
                terms[p] = buffer.getLong();
            }
            final int hostedBytes = buffer.getShort() & 0xFFFF;
            if (hostedBytes != (partitionCount + 7) / 8)
            {
                throw new IllegalArgumentException("hosted bit set of " + hostedBytes + " bytes for " +
                    partitionCount + " partitions");
            }
            final long[] hosted = new long[NodeMetadata.words(partitionCount)];
            for (int i = 0; i < hostedBytes; i++)
            {
                hosted[i >>> 3] |= (buffer.get() & 0xFFL) << ((i & 7) * 8);
            }
            if ((partitionCount & 63) != 0 && hosted.length > 0 &&
                (hosted[hosted.length - 1] >>> (partitionCount & 63)) != 0)
            {
                throw new IllegalArgumentException("hosted bit set names partitions beyond " + partitionCount);
            }
            final int moves = buffer.getShort() & 0xFFFF;
            return new NodeMetadata(nodeId, clusterId, partitionCount, aeron, raft, http, state, terms, hosted, moves);
        }
        catch (final java.nio.BufferUnderflowException ex)
        {
            throw new IllegalArgumentException("truncated node metadata", ex);
        }
    }

    private static byte[] utf8(final String s)
    {
        final byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > MAX_STRING)
        {
            throw new IllegalArgumentException("metadata string too long: " + s.length());
        }
        return bytes;
    }

    private static String string(final ByteBuffer buffer)
    {
        final int length = buffer.getShort() & 0xFFFF;
        if (length > MAX_STRING || length > buffer.remaining())
        {
            throw new IllegalArgumentException("bad string length " + length + " in node metadata");
        }
        final byte[] bytes = new byte[length];
        buffer.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
