package io.rookery.transport;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;

import io.rookery.transport.codecs.AgentRequestDecoder;
import io.rookery.transport.codecs.AgentRequestEncoder;
import io.rookery.transport.codecs.MessageHeaderDecoder;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static io.rookery.transport.FrameValidator.TOO_SHORT;
import static io.rookery.transport.FrameValidator.TRUNCATED;
import static io.rookery.transport.FrameValidator.UNKNOWN_TEMPLATE;
import static io.rookery.transport.FrameValidator.VALID;
import static io.rookery.transport.FrameValidator.WRONG_SCHEMA;
import static io.rookery.transport.FrameValidator.WRONG_VERSION;
import static io.rookery.transport.Frames.BLOCK_LENGTH_OFFSET;
import static io.rookery.transport.Frames.HEADER;
import static io.rookery.transport.Frames.SCHEMA_ID_OFFSET;
import static io.rookery.transport.Frames.TEMPLATE_ID_OFFSET;
import static io.rookery.transport.Frames.VERSION_OFFSET;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The structural check every received frame passes before anything decodes it.
 */
class FrameValidatorTest
{
    private static final byte[] PAYLOAD = "{\"op\":\"increment\"}".getBytes(StandardCharsets.UTF_8);

    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[4096]);

    @Test
    void framesOfEveryTemplateAreValid()
    {
        for (final int offset : new int[] {0, 13, 1000})
        {
            fillWithGarbage();
            assertThat(validate(offset, Frames.request(buffer, offset, 1, "k", PAYLOAD))).isEqualTo(VALID);
            fillWithGarbage();
            assertThat(validate(offset, Frames.response(buffer, offset, PAYLOAD))).isEqualTo(VALID);
            fillWithGarbage();
            assertThat(validate(offset, Frames.agentMessage(buffer, offset, PAYLOAD))).isEqualTo(VALID);
            fillWithGarbage();
            assertThat(validate(offset, Frames.ack(buffer, offset))).isEqualTo(VALID);
            fillWithGarbage();
            assertThat(validate(offset, Frames.ephemeral(buffer, offset, PAYLOAD))).isEqualTo(VALID);
        }
    }

    @Test
    void emptyVariableLengthFieldsAreValid()
    {
        assertThat(validate(0, Frames.request(buffer, 0, 1, "", new byte[0]))).isEqualTo(VALID);
        assertThat(validate(0, Frames.response(buffer, 0, new byte[0]))).isEqualTo(VALID);
    }

    @Test
    void aFrameShortByOneByteIsTruncated()
    {
        assertThat(validate(0, Frames.request(buffer, 0, 1, "k", PAYLOAD) - 1)).isEqualTo(TRUNCATED);
        assertThat(validate(0, Frames.response(buffer, 0, PAYLOAD) - 1)).isEqualTo(TRUNCATED);
        assertThat(validate(0, Frames.agentMessage(buffer, 0, PAYLOAD) - 1)).isEqualTo(TRUNCATED);
        assertThat(validate(0, Frames.ack(buffer, 0) - 1)).isEqualTo(TRUNCATED);
        assertThat(validate(0, Frames.ephemeral(buffer, 0, PAYLOAD) - 1)).isEqualTo(TRUNCATED);
        assertThat(validate(0, Frames.request(buffer, 0, 1, "", new byte[0]) - 1))
            .as("an empty last field loses a byte of its length").isEqualTo(TRUNCATED);
    }

    @Test
    void everyStrictPrefixOfAFrameIsRejected()
    {
        final int length = Frames.request(buffer, 0, 1, "key", PAYLOAD);
        for (int cut = 0; cut < length; cut++)
        {
            assertThat(validate(0, cut)).as("first %d of %d bytes", cut, length)
                .isEqualTo(cut < HEADER ? TOO_SHORT : TRUNCATED);
        }
        assertThat(validate(0, length)).isEqualTo(VALID);
    }

    @Test
    void shorterThanAHeaderIsTooShort()
    {
        fillWithGarbage();
        for (int length = 0; length < HEADER; length++)
        {
            assertThat(validate(7, length)).isEqualTo(TOO_SHORT);
        }
    }

    @Test
    void anotherSchemaIsRejected()
    {
        final int length = Frames.request(buffer, 0, 1, "k", PAYLOAD);
        for (final int schemaId : new int[] {0, 7302, 7300, 0xFFFF})
        {
            Frames.putU16(buffer, SCHEMA_ID_OFFSET, schemaId);
            assertThat(validate(0, length)).as("schema %d", schemaId).isEqualTo(WRONG_SCHEMA);
        }
    }

    @Test
    void versionZeroAndNewerVersionsAreRejected()
    {
        final int length = Frames.request(buffer, 0, 1, "k", PAYLOAD);
        for (final int version : new int[] {0, MessageHeaderDecoder.SCHEMA_VERSION + 1, 0xFFFF})
        {
            Frames.putU16(buffer, VERSION_OFFSET, version);
            assertThat(validate(0, length)).as("version %d", version).isEqualTo(WRONG_VERSION);
        }
        Frames.putU16(buffer, VERSION_OFFSET, MessageHeaderDecoder.SCHEMA_VERSION);
        assertThat(validate(0, length)).isEqualTo(VALID);
    }

    @Test
    void unknownTemplatesAreRejected()
    {
        final int length = Frames.request(buffer, 0, 1, "k", PAYLOAD);
        for (final int template : new int[] {0, 8, 100, 0xFFFF})
        {
            Frames.putU16(buffer, TEMPLATE_ID_OFFSET, template);
            assertThat(validate(0, length)).as("template %d", template).isEqualTo(UNKNOWN_TEMPLATE);
        }
    }

    @Test
    void aPartitionHandoffIsValidAndItsChunkMustFitTheFrame()
    {
        final io.rookery.transport.codecs.PartitionHandoffEncoder encoder =
            new io.rookery.transport.codecs.PartitionHandoffEncoder()
                .wrapAndApplyHeader(buffer, 0, new io.rookery.transport.codecs.MessageHeaderEncoder())
                .correlationId(1).senderNode(2).partition(3).epoch(4).sourceGroup(5).targetGroup(6).chunk(0)
                .last((short)1);
        encoder.putData(PAYLOAD, 0, PAYLOAD.length);
        final int length = MessageHeaderDecoder.ENCODED_LENGTH + encoder.encodedLength();

        assertThat(validate(0, length)).isEqualTo(VALID);
        assertThat(validate(0, length - 1)).isEqualTo(TRUNCATED);
    }

    @Test
    void aBlockShorterThanTheTemplatesOrPastTheEndIsTruncated()
    {
        final int length = Frames.request(buffer, 0, 1, "k", PAYLOAD);
        Frames.putU16(buffer, BLOCK_LENGTH_OFFSET, AgentRequestEncoder.BLOCK_LENGTH - 1);
        assertThat(validate(0, length)).isEqualTo(TRUNCATED);

        Frames.putU16(buffer, BLOCK_LENGTH_OFFSET, 0xFFFF);
        assertThat(validate(0, length)).isEqualTo(TRUNCATED);

        final int ack = Frames.ack(buffer, 0);
        Frames.putU16(buffer, BLOCK_LENGTH_OFFSET, ack - HEADER + 1);
        assertThat(validate(0, ack)).isEqualTo(TRUNCATED);
    }

    @Test
    void aVariableLengthFieldPointingPastTheEndIsTruncated()
    {
        final int length = Frames.request(buffer, 0, 1, "k", PAYLOAD);
        final int agentTypeLength = HEADER + AgentRequestEncoder.BLOCK_LENGTH;
        final int payloadLength = length - PAYLOAD.length - 4;
        assertThat(buffer.getInt(payloadLength, ByteOrder.LITTLE_ENDIAN)).isEqualTo(PAYLOAD.length);

        Frames.putU16(buffer, agentTypeLength, 1024);
        assertThat(validate(0, length)).as("agentType 1024 bytes").isEqualTo(TRUNCATED);
        Frames.putU16(buffer, agentTypeLength, 0xFFFF);
        assertThat(validate(0, length)).as("agentType 65535 bytes").isEqualTo(TRUNCATED);
        Frames.putU16(buffer, agentTypeLength, "counter".length());
        assertThat(validate(0, length)).isEqualTo(VALID);

        Frames.putU32(buffer, payloadLength, PAYLOAD.length + 1);
        assertThat(validate(0, length)).as("payload one byte too long").isEqualTo(TRUNCATED);
        Frames.putU32(buffer, payloadLength, 0xFFFF_FFFFL);
        assertThat(validate(0, length)).as("payload 4 GiB, no int overflow").isEqualTo(TRUNCATED);
        Frames.putU32(buffer, payloadLength, 0x8000_0000L);
        assertThat(validate(0, length)).as("payload length with the sign bit set").isEqualTo(TRUNCATED);
    }

    @Test
    void randomGarbageNeverThrowsAndGetsAReason()
    {
        final Random random = new Random(0x5EED);
        final byte[] bytes = new byte[512];
        final UnsafeBuffer garbage = new UnsafeBuffer(bytes);
        final int[] verdicts = new int[FrameValidator.REASON_COUNT];
        for (int i = 0; i < 200_000; i++)
        {
            random.nextBytes(bytes);
            final int offset = random.nextInt(256);
            final int length = random.nextInt(bytes.length - offset + 1);
            if (length >= HEADER && random.nextBoolean())
            {
                // A plausible header, so that the walk over fields gets exercised too.
                Frames.putU16(garbage, offset + SCHEMA_ID_OFFSET, MessageHeaderDecoder.SCHEMA_ID);
                Frames.putU16(garbage, offset + VERSION_OFFSET, 1);
                Frames.putU16(garbage, offset + TEMPLATE_ID_OFFSET, random.nextInt(8));
                Frames.putU16(garbage, offset + BLOCK_LENGTH_OFFSET, random.nextInt(64));
            }
            final int verdict = FrameValidator.validate(garbage, offset, length);
            assertThat(verdict).isBetween(VALID, FrameValidator.UNKNOWN_VALUE)
                .isNotEqualTo(FrameValidator.NESTED_BATCH);
            verdicts[verdict]++;
        }
        for (int reason = TOO_SHORT; reason <= TRUNCATED; reason++)
        {
            assertThat(verdicts[reason]).as(FrameValidator.reasonLabel(reason)).isPositive();
        }
    }

    @Test
    void whateverPassesCanBeDecodedWithoutReadingPastTheFrame()
    {
        final Random random = new Random(77);
        final UnsafeBuffer original = new UnsafeBuffer(new byte[512]);
        final int length = Frames.request(original, 0, 99, "agent-key", PAYLOAD);
        int passed = 0;
        for (int i = 0; i < 50_000; i++)
        {
            // Exactly the frame's bytes: any read beyond them throws IndexOutOfBoundsException.
            final byte[] frame = new byte[length];
            original.getBytes(0, frame);
            final int mutations = 1 + random.nextInt(3);
            for (int m = 0; m < mutations; m++)
            {
                frame[random.nextInt(length)] = (byte)random.nextInt(256);
            }
            final UnsafeBuffer exact = new UnsafeBuffer(frame);
            if (FrameValidator.validate(exact, 0, length) != VALID)
            {
                continue;
            }
            passed++;
            final MessageHeaderDecoder header = new MessageHeaderDecoder().wrap(exact, 0);
            if (header.templateId() != AgentRequestDecoder.TEMPLATE_ID)
            {
                continue;
            }
            final AgentRequestDecoder decoder = new AgentRequestDecoder()
                .wrap(exact, HEADER, header.blockLength(), header.version());
            decoder.correlationId();
            decoder.agentType();
            decoder.agentKey();
            decoder.senderType();
            decoder.senderKey();
            decoder.idempotencyKey();
            final byte[] payload = new byte[decoder.payloadLength()];
            decoder.getPayload(payload, 0, payload.length);
            assertThat(decoder.limit()).isLessThanOrEqualTo(length);
        }
        assertThat(passed).as("some mutations only touch values, not structure").isGreaterThan(1000);
    }

    @Test
    void anEnumFieldOutsideTheSchemaIsRefusedBeforeTheHandlerWouldThrowOnIt()
    {
        final int length = Frames.request(buffer, 0, 5, "key", PAYLOAD);
        assertThat(validate(0, length)).isEqualTo(VALID);
        final int kind = HEADER + AgentRequestDecoder.kindEncodingOffset();
        buffer.putByte(kind, (byte)34);
        assertThat(validate(0, length)).as("kind 34").isEqualTo(FrameValidator.UNKNOWN_VALUE);
        buffer.putByte(kind, (byte)255);
        assertThat(validate(0, length)).as("kind left unset").isEqualTo(FrameValidator.UNKNOWN_VALUE);
    }

    @Test
    void reasonsHaveDistinctLabels()
    {
        final Set<String> labels = new HashSet<>();
        for (int reason = 0; reason < FrameValidator.REASON_COUNT; reason++)
        {
            labels.add(FrameValidator.reasonLabel(reason));
        }
        assertThat(labels).containsExactlyInAnyOrder(
            "valid", "too_short", "wrong_schema", "wrong_version", "unknown_template", "truncated", "nested_batch",
            "unknown_value");
        assertThat(FrameValidator.reasonLabel(FrameValidator.REASON_COUNT)).isEqualTo("unknown");
        assertThat(FrameValidator.reasonLabel(-1)).isEqualTo("unknown");
    }

    private int validate(final int offset, final int length)
    {
        return FrameValidator.validate(buffer, offset, length);
    }

    private void fillWithGarbage()
    {
        buffer.setMemory(0, buffer.capacity(), (byte)0xFF);
    }
}
