package io.rookery.gossip;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
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
    void joiningMetadataWithoutLeaderClaimsRoundTrips()
    {
        final NodeMetadata metadata = NodeMetadata.joining(
            "n1", "rookery", 16, "127.0.0.1:40001", "127.0.0.1:40002", "127.0.0.1:8080");

        final ByteBuffer encoded = NodeMetadataCodec.encode(metadata);
        final NodeMetadata decoded = NodeMetadataCodec.decode(encoded.duplicate());

        assertThat(decoded).isEqualTo(metadata);
        assertThat(decoded.state()).isEqualTo(NodeState.JOINING);
        assertThat(decoded.leaderTerms()).hasSize(16).containsOnly(NodeMetadata.NOT_LEADER);
        assertThat(encoded.position()).isZero();
        // magic, version, state, P, five strings with u16 lengths, zero claims, hosted bits, moves
        assertThat(encoded.remaining())
            .isEqualTo(6 + (2 + 2) + (2 + 7) + (2 + 15) + (2 + 15) + (2 + 14) + 2 + (2 + 2) + 2);
    }

    @Test
    void leaderClaimsRoundTripAndCostTenBytesEach()
    {
        final long[] terms = new long[64];
        Arrays.fill(terms, NodeMetadata.NOT_LEADER);
        terms[0] = 0;
        terms[7] = 3;
        terms[63] = Long.MAX_VALUE;
        final NodeMetadata without = NodeMetadata.joining("n2", "c", 64, "a:1", "r:2", "h:3");
        final NodeMetadata metadata = without.withState(NodeState.ACTIVE).withLeaderTerms(terms);

        final ByteBuffer encoded = NodeMetadataCodec.encode(metadata);
        final NodeMetadata decoded = NodeMetadataCodec.decode(encoded);

        assertThat(decoded).isEqualTo(metadata);
        assertThat(decoded.leaderTerm(0)).isZero();
        assertThat(decoded.leaderTerm(7)).isEqualTo(3);
        assertThat(decoded.leaderTerm(63)).isEqualTo(Long.MAX_VALUE);
        assertThat(decoded.leaderTerm(1)).isEqualTo(NodeMetadata.NOT_LEADER);
        assertThat(encoded.remaining()).as("everything was consumed").isZero();
        assertThat(NodeMetadataCodec.encode(metadata).remaining() - NodeMetadataCodec.encode(without).remaining())
            .isEqualTo(3 * 10);
    }

    @Test
    void hostedPartitionsAndMovesInProgressRoundTrip()
    {
        final NodeMetadata metadata = NodeMetadata.joining("n3", "c", 70, "a:1", "r:2", "h:3")
            .withHosted(java.util.List.of(0, 9, 63, 64, 69))
            .withMovesInProgress(2);

        final NodeMetadata decoded = NodeMetadataCodec.decode(NodeMetadataCodec.encode(metadata));

        assertThat(decoded).isEqualTo(metadata);
        assertThat(decoded.movesInProgress()).isEqualTo(2);
        for (int p = 0; p < 70; p++)
        {
            final boolean expected = p == 0 || p == 9 || p == 63 || p == 64 || p == 69;
            assertThat(decoded.hosts(p)).as("partition " + p).isEqualTo(expected);
        }
    }

    @Test
    void everyStateRoundTrips()
    {
        for (final NodeState state : NodeState.values())
        {
            final NodeMetadata metadata = NodeMetadata.joining("n", "c", 1, "a", "r", "h").withState(state);
            assertThat(NodeMetadataCodec.decode(NodeMetadataCodec.encode(metadata))).isEqualTo(metadata);
        }
    }

    @Test
    void nonAsciiIdsRoundTrip()
    {
        final NodeMetadata metadata = NodeMetadata.joining(
            "n\u0153ud-\u6771\u4eac-\uD83D\uDE80", "cl\u00fcster", 3, "[::1]:1", "h\u00f4te:2", "\u00e9:3")
            .withLeaderTerms(new long[] {5, NodeMetadata.NOT_LEADER, 6});

        final NodeMetadata decoded = NodeMetadataCodec.decode(NodeMetadataCodec.encode(metadata));

        assertThat(decoded).isEqualTo(metadata);
        assertThat(decoded.nodeId()).isEqualTo("n\u0153ud-\u6771\u4eac-\uD83D\uDE80");
        assertThat(decoded.clusterId()).isEqualTo("cl\u00fcster");
    }

    @Test
    void largestPartitionCountRoundTrips()
    {
        final long[] terms = new long[65535];
        Arrays.fill(terms, NodeMetadata.NOT_LEADER);
        terms[65534] = 9;
        final NodeMetadata metadata = NodeMetadata.joining("n", "c", 65535, "a", "r", "h").withLeaderTerms(terms);

        final NodeMetadata decoded = NodeMetadataCodec.decode(NodeMetadataCodec.encode(metadata));

        assertThat(decoded.partitionCount()).isEqualTo(65535);
        assertThat(decoded.leaderTerm(65534)).isEqualTo(9);
        assertThat(decoded).isEqualTo(metadata);
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
        for (final byte version : new byte[] {0, 2, 127})
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
    void aLeaderClaimBeyondThePartitionCountIsRejected()
    {
        final NodeMetadata metadata = NodeMetadata.joining("n", "c", 8, "a", "r", "h")
            .withLeaderTerms(new long[] {-1, -1, -1, -1, -1, -1, -1, 4});
        final ByteBuffer bytes = NodeMetadataCodec.encode(metadata);
        // The claim's partition is the u16 ten bytes before the hosted bits (u16 + 1 byte) and moves (u16).
        bytes.putShort(bytes.limit() - 10 - 3 - 2, (short)8);

        assertThatThrownBy(() -> NodeMetadataCodec.decode(bytes))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("leader claim for partition 8 >= 8");
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
            .withLeaderTerms(new long[] {1, -1, 2, -1})).array();

        for (int length = 0; length < full.length; length++)
        {
            final ByteBuffer cut = ByteBuffer.wrap(Arrays.copyOf(full, length));
            assertThatThrownBy(() -> NodeMetadataCodec.decode(cut))
                .as("cut to %d of %d bytes", length, full.length)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageMatching("truncated node metadata|bad string length \\d+ in node metadata");
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
                garbage[2] = 1;
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
