package io.rookery.gossip;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import io.scalecube.cluster.metadata.MetadataCodec;

/**
 * Explicit binary encoding of {@link NodeMetadata} for ScaleCube, instead of its default JDK
 * serialisation: versioned, compact, and decoding garbage fails with a clear message.
 * <p>
 * Layout (big-endian): magic u16, version u8 (2), state u8, partitionCount u16, then the strings
 * nodeId, clusterId, aeronEndpoint, raftEndpoint, httpEndpoint (u16 length + UTF-8), then the
 * number of led groups u16 and per group: key i64, name (string), term i64, partition count u16 and
 * that many (partition u16, epoch u32) pairs; then the number of hosted groups u16 and their keys
 * (i64 each, ascending), then the moves in progress u16. Version 1 (one group per partition) is
 * refused: a cluster is upgraded to groups of partitions as a whole.
 */
public final class NodeMetadataCodec implements MetadataCodec
{
    /** Shared instance; the codec is stateless. */
    public static final NodeMetadataCodec INSTANCE = new NodeMetadataCodec();

    private static final short MAGIC = (short)0x524B;
    private static final byte VERSION = 2;
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
        int length = 2 + 1 + 1 + 2 + 2 + 2 + 8 * metadata.hostedGroups().length + 2;
        for (final byte[] s : strings)
        {
            length += 2 + s.length;
        }
        final byte[][] names = new byte[metadata.leads().size()][];
        for (int i = 0; i < names.length; i++)
        {
            final GroupClaim claim = metadata.leads().get(i);
            names[i] = utf8(claim.name());
            length += 8 + 2 + names[i].length + 8 + 2 + 6 * claim.size();
        }
        final ByteBuffer buffer = ByteBuffer.allocate(length);
        buffer.putShort(MAGIC).put(VERSION).put((byte)metadata.state().ordinal())
            .putShort((short)metadata.partitionCount());
        for (final byte[] s : strings)
        {
            buffer.putShort((short)s.length).put(s);
        }
        buffer.putShort((short)names.length);
        for (int i = 0; i < names.length; i++)
        {
            final GroupClaim claim = metadata.leads().get(i);
            buffer.putLong(claim.group()).putShort((short)names[i].length).put(names[i]).putLong(claim.term())
                .putShort((short)claim.size());
            for (int j = 0; j < claim.size(); j++)
            {
                buffer.putShort((short)claim.partitions()[j]).putInt((int)Math.min(claim.epochs()[j], 0xFFFF_FFFFL));
            }
        }
        buffer.putShort((short)metadata.hostedGroups().length);
        for (final long group : metadata.hostedGroups())
        {
            buffer.putLong(group);
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
            final int groups = buffer.getShort() & 0xFFFF;
            final List<GroupClaim> leads = new ArrayList<>(Math.min(groups, 64));
            for (int i = 0; i < groups; i++)
            {
                final long group = buffer.getLong();
                final String name = string(buffer);
                final long term = buffer.getLong();
                final int count = buffer.getShort() & 0xFFFF;
                if (count > partitionCount || count * 6L > buffer.remaining())
                {
                    throw new IllegalArgumentException("claim of " + count + " partitions does not fit");
                }
                final int[] partitions = new int[count];
                final long[] epochs = new long[count];
                for (int j = 0; j < count; j++)
                {
                    partitions[j] = buffer.getShort() & 0xFFFF;
                    epochs[j] = buffer.getInt() & 0xFFFF_FFFFL;
                }
                leads.add(new GroupClaim(group, name, term, partitions, epochs));
            }
            final int hosted = buffer.getShort() & 0xFFFF;
            if (hosted * 8L > buffer.remaining())
            {
                throw new IllegalArgumentException("hosted group list of " + hosted + " does not fit");
            }
            final long[] hostedGroups = new long[hosted];
            for (int i = 0; i < hosted; i++)
            {
                hostedGroups[i] = buffer.getLong();
                if (i > 0 && hostedGroups[i] <= hostedGroups[i - 1])
                {
                    throw new IllegalArgumentException("hosted groups are not ascending");
                }
            }
            final int moves = buffer.getShort() & 0xFFFF;
            return new NodeMetadata(nodeId, clusterId, partitionCount, aeron, raft, http, state, leads, hostedGroups,
                moves);
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
        final int start = buffer.position();
        try
        {
            // Strict: a string that is not UTF-8 would not survive being encoded again.
            return StandardCharsets.UTF_8.newDecoder().decode(buffer.slice(start, length)).toString();
        }
        catch (final java.nio.charset.CharacterCodingException ex)
        {
            throw new IllegalArgumentException("a string in node metadata is not UTF-8", ex);
        }
        finally
        {
            buffer.position(start + length);
        }
    }
}
