package io.rookery.gossip;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The gossip encoding of node metadata: exact round trips, and a readable
 * {@link IllegalArgumentException} for anything that is not a valid encoding.
 */
class NodeMetadataCodecTest
{
    private static final int MAGIC_OFFSET = 0;
    private static final int VERSION_OFFSET = 2;
    private static final int STATE_OFFSET = 3;
    private static final int PARTITION_COUNT_OFFSET = 4;

    @Test
    void joiningMetadataWithoutClaimsRoundTrips()
    {
        final NodeMetadata metadata = NodeMetadata.joining(
            "n1", "rookery", 256, "127.0.0.1:40001", "127.0.0.1:40002", "127.0.0.1:8080");

        final ByteBuffer encoded = NodeMetadataCodec.encode(metadata);
        final NodeMetadata decoded = NodeMetadataCodec.decode(encoded.duplicate());

        assertThat(decoded).isEqualTo(metadata);
        assertThat(decoded.state()).isEqualTo(NodeState.JOINING);
        assertThat(decoded.leads()).isEmpty();
        assertThat(encoded.position()).isZero();
        // magic, version, state, P, five strings with u16 lengths, zero claims, zero hosted groups, moves
        assertThat(encoded.remaining())
            .isEqualTo(6 + (2 + 2) + (2 + 7) + (2 + 15) + (2 + 15) + (2 + 14) + 2 + 2 + 2);
    }

    @Test
    void groupClaimsAndHostedGroupsRoundTripAtSixBytesAPartition()
    {
        final GroupClaim first = new GroupClaim(-5L, "n2", 3, new int[] {0, 7, 255}, new long[] {1, 2, 0xFFFF_FFFFL});
        final GroupClaim second = new GroupClaim(42L, "", Long.MAX_VALUE, new int[0], new long[0]);
        final NodeMetadata without = NodeMetadata.joining("n2", "c", 256, "a:1", "r:2", "h:3");
        final NodeMetadata metadata = without.withState(NodeState.ACTIVE).withLeads(List.of(first, second))
            .withHostedGroups(List.of(42L, -5L, 7L)).withMovesInProgress(3);

        final ByteBuffer encoded = NodeMetadataCodec.encode(metadata);
        final NodeMetadata decoded = NodeMetadataCodec.decode(encoded.duplicate());

        assertThat(decoded).isEqualTo(metadata);
        assertThat(decoded.claimOf(-5L)).isEqualTo(first);
        assertThat(decoded.claimOf(1L)).isNull();
        assertThat(decoded.ledPartitions()).isEqualTo(3);
        assertThat(decoded.hostsGroup(7L)).isTrue();
        assertThat(decoded.hostsGroup(8L)).isFalse();
        assertThat(decoded.movesInProgress()).isEqualTo(3);
        assertThat(encoded.remaining() - NodeMetadataCodec.encode(without.withState(NodeState.ACTIVE)).remaining())
            .isEqualTo((8 + 4 + 8 + 2 + 3 * 6) + (8 + 2 + 8 + 2) + 3 * 8);
    }

    @Test
    void everyStateRoundTrips()
    {
        for (final NodeState state : NodeState.values())
        {
            final NodeMetadata metadata = NodeMetadata.joining("n", "c", 4, "a", "r", "h").withState(state);
            assertThat(NodeMetadataCodec.decode(NodeMetadataCodec.encode(metadata)).state()).isEqualTo(state);
        }
    }

    @Test
    void nonAsciiIdsRoundTrip()
    {
        final NodeMetadata metadata = NodeMetadata.joining("n\u00f6de-\u6771", "cl\u00fcster", 3, "a", "r", "h")
            .withLeads(List.of(new GroupClaim(1, "h\u00f6me", 1, new int[] {2}, new long[] {9})));

        assertThat(NodeMetadataCodec.decode(NodeMetadataCodec.encode(metadata))).isEqualTo(metadata);
    }

    @Test
    void scaleCubeFacingMethodsHandleNullAndLeaveTheCallersBufferAlone()
    {
        final NodeMetadata metadata = NodeMetadata.joining("n1", "c", 2, "a", "r", "h");
        final ByteBuffer serialized = NodeMetadataCodec.INSTANCE.serialize(metadata);
        final int position = serialized.position();

        assertThat(NodeMetadataCodec.INSTANCE.deserialize(serialized)).isEqualTo(metadata);
        assertThat(serialized.position()).as("deserialize reads a duplicate").isEqualTo(position);
        assertThat(NodeMetadataCodec.INSTANCE.deserialize(serialized)).isEqualTo(metadata);

        assertThat(NodeMetadataCodec.INSTANCE.serialize(null).remaining()).isZero();
        assertThat(NodeMetadataCodec.INSTANCE.deserialize(null)).isNull();
        assertThat(NodeMetadataCodec.INSTANCE.deserialize(ByteBuffer.allocate(0))).isNull();
    }

    @Test
    void badMagicIsRejected()
    {
        final ByteBuffer bytes = valid();
        bytes.putShort(MAGIC_OFFSET, (short)0xACED);

        assertThatThrownBy(() -> NodeMetadataCodec.decode(bytes))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("not Rookery node metadata (bad magic)");
        // JDK serialisation, which ScaleCube uses by default, starts 0xACED: it must not be misread.
        assertThatThrownBy(() -> NodeMetadataCodec.INSTANCE.deserialize(ByteBuffer.wrap(
            new byte[] {(byte)0xAC, (byte)0xED, 0, 5, 0x73, 0x72})))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("bad magic");
    }

    @Test
    void otherVersionsAreRejected()
    {
        for (final byte version : new byte[] {0, 1, 3, 127})
        {
            final ByteBuffer bytes = valid();
            bytes.put(VERSION_OFFSET, version);
            assertThatThrownBy(() -> NodeMetadataCodec.decode(bytes))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unsupported node metadata version " + version);
        }
    }

    @Test
    void unknownStateIsRejected()
    {
        final ByteBuffer bytes = valid();
        bytes.put(STATE_OFFSET, (byte)NodeState.values().length);

        assertThatThrownBy(() -> NodeMetadataCodec.decode(bytes))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("unknown node state " + NodeState.values().length);
    }

    @Test
    void zeroPartitionsIsRejected()
    {
        final ByteBuffer bytes = NodeMetadataCodec.encode(NodeMetadata.joining("n", "c", 1, "a", "r", "h"));
        bytes.putShort(PARTITION_COUNT_OFFSET, (short)0);

        assertThatThrownBy(() -> NodeMetadataCodec.decode(bytes))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("partitionCount out of range: 0");
    }

    @Test
    void aClaimBeyondThePartitionCountOrOutOfOrderIsRejected()
    {
        final NodeMetadata metadata = NodeMetadata.joining("n", "c", 8, "a", "r", "h")
            .withLeads(List.of(new GroupClaim(1, "g", 2, new int[] {3, 7}, new long[] {1, 1})));
        final ByteBuffer beyond = NodeMetadataCodec.encode(metadata);
        // The last claimed partition is the u16 before its epoch (u32), the hosted count (u16) and moves (u16).
        beyond.putShort(beyond.limit() - 4 - 2 - 2 - 2, (short)8);
        assertThatThrownBy(() -> NodeMetadataCodec.decode(beyond))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("beyond 8");

        final ByteBuffer unordered = NodeMetadataCodec.encode(metadata);
        unordered.putShort(unordered.limit() - 4 - 2 - 2 - 2, (short)3);
        assertThatThrownBy(() -> NodeMetadataCodec.decode(unordered))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ascending");
    }

    @Test
    void aStringLengthPastTheEndIsRejected()
    {
        final ByteBuffer bytes = valid();
        // The node id's length follows the 6-byte fixed part.
        bytes.putShort(6, (short)200);

        assertThatThrownBy(() -> NodeMetadataCodec.decode(bytes))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("bad string length 200 in node metadata");

        final ByteBuffer huge = ByteBuffer.allocate(6000);
        huge.put(valid().array(), 0, 6).putShort((short)5000).clear();
        assertThatThrownBy(() -> NodeMetadataCodec.decode(huge))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("bad string length 5000 in node metadata");
    }

    @Test
    void everyTruncationIsRejectedWithAReadableMessage()
    {
        final byte[] full = NodeMetadataCodec.encode(NodeMetadata.joining("n1", "c", 4, "a:1", "r:2", "h:3")
            .withLeads(List.of(new GroupClaim(5, "n1", 2, new int[] {0, 2}, new long[] {1, 3})))
            .withHostedGroups(List.of(5L, 6L))).array();

        for (int length = 0; length < full.length; length++)
        {
            final ByteBuffer cut = ByteBuffer.wrap(Arrays.copyOf(full, length));
            assertThatThrownBy(() -> NodeMetadataCodec.decode(cut))
                .as("cut to %d of %d bytes", length, full.length)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageMatching("truncated node metadata|bad string length \\d+ in node metadata|" +
                    "claim of \\d+ partitions does not fit|hosted group list of \\d+ does not fit");
        }
    }

    @Test
    void garbageNeverEscapesAsAnotherException()
    {
        final Random random = new Random(20240611);
        int rejected = 0;
        for (int i = 0; i < 20_000; i++)
        {
            final byte[] garbage = new byte[random.nextInt(80)];
            random.nextBytes(garbage);
            if (random.nextBoolean() && garbage.length >= 3)
            {
                // Get past the magic and version checks half of the time.
                garbage[0] = 0x52;
                garbage[1] = 0x4B;
                garbage[2] = 2;
            }
            try
            {
                final NodeMetadata decoded = NodeMetadataCodec.decode(ByteBuffer.wrap(garbage));
                assertThat(NodeMetadataCodec.decode(NodeMetadataCodec.encode(decoded))).isEqualTo(decoded);
            }
            catch (final IllegalArgumentException expected)
            {
                assertThat(expected.getMessage()).isNotBlank();
                rejected++;
            }
        }
        assertThat(rejected).isGreaterThan(19_000);
    }

    @Test
    void overlongStringsAreRefusedWhenEncoding()
    {
        final String longId = "x".repeat(1025);
        final NodeMetadata metadata = NodeMetadata.joining(longId, "c", 1, "a", "r", "h");

        assertThatThrownBy(() -> NodeMetadataCodec.encode(metadata))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("metadata string too long");
        assertThat(NodeMetadataCodec.decode(NodeMetadataCodec.encode(
            NodeMetadata.joining("x".repeat(1024), "c", 1, "a", "r", "h"))).nodeId()).hasSize(1024);
    }

    private static ByteBuffer valid()
    {
        final ByteBuffer encoded = NodeMetadataCodec.encode(NodeMetadata.joining(
            "n1", "rookery", 16, "127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"));
        final byte[] copy = new byte[encoded.remaining()];
        encoded.get(copy);
        assertThat(new String(copy, 8, 2, StandardCharsets.UTF_8)).isEqualTo("n1");
        return ByteBuffer.wrap(copy);
    }
}
