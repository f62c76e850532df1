package io.rookery.transport;

import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.stream.IntStream;

import io.rookery.transport.codecs.AgentMessageDecoder;
import io.rookery.transport.codecs.AgentRequestDecoder;
import io.rookery.transport.codecs.AgentResponseDecoder;
import io.rookery.transport.codecs.Durability;
import io.rookery.transport.codecs.EphemeralMessageDecoder;
import io.rookery.transport.codecs.FrameBatchDecoder;
import io.rookery.transport.codecs.MessageAckDecoder;
import io.rookery.transport.codecs.MessageHeaderDecoder;
import io.rookery.transport.codecs.PartitionHandoffDecoder;
import io.rookery.transport.codecs.RequestKind;
import io.rookery.transport.codecs.Status;
import org.agrona.DirectBuffer;

/**
 * Structural check of an incoming frame before anyone decodes it.
 * <p>
 * SBE decoders trust the lengths written in the frame, and the buffer they read from is larger than
 * the frame (a term buffer or a reassembly buffer), so a truncated or hostile frame would be read
 * past its end without any exception. This walks the header, the fixed block and every
 * variable-length field and checks each lies inside the frame. Stateless and allocation free.
 */
public final class FrameValidator
{
    /** The frame is well formed. */
    public static final int VALID = 0;
    /** Shorter than a message header. */
    public static final int TOO_SHORT = 1;
    /** The header names another schema. */
    public static final int WRONG_SCHEMA = 2;
    /** The header names a version newer than this node understands. */
    public static final int WRONG_VERSION = 3;
    /** The header names a template this schema does not have. */
    public static final int UNKNOWN_TEMPLATE = 4;
    /** A fixed block or variable-length field runs past the end of the frame. */
    public static final int TRUNCATED = 5;
    /** A batch inside a batch: never sent by a Rookery node. */
    public static final int NESTED_BATCH = 6;
    /**
     * An enum field (request kind, durability, status) holds a value the schema does not define:
     * decoding it would throw in the handler.
     */
    public static final int UNKNOWN_VALUE = 7;

    private static final int[] NO_FIELDS = {};
    private static final int[][] VAR_FIELDS_BY_TEMPLATE = new int[8][];
    /** Offsets within the block of each template's enum fields, and the values each may hold. */
    private static final int[][] ENUM_OFFSETS_BY_TEMPLATE = new int[8][];
    private static final boolean[][][] ENUM_VALUES_BY_TEMPLATE = new boolean[8][][];

    static
    {
        VAR_FIELDS_BY_TEMPLATE[AgentRequestDecoder.TEMPLATE_ID] = new int[] {
            AgentRequestDecoder.agentTypeHeaderLength(),
            AgentRequestDecoder.agentKeyHeaderLength(),
            AgentRequestDecoder.senderTypeHeaderLength(),
            AgentRequestDecoder.senderKeyHeaderLength(),
            AgentRequestDecoder.idempotencyKeyHeaderLength(),
            AgentRequestDecoder.payloadHeaderLength() };
        VAR_FIELDS_BY_TEMPLATE[AgentResponseDecoder.TEMPLATE_ID] = new int[] {
            AgentResponseDecoder.payloadHeaderLength() };
        VAR_FIELDS_BY_TEMPLATE[AgentMessageDecoder.TEMPLATE_ID] = new int[] {
            AgentMessageDecoder.targetTypeHeaderLength(),
            AgentMessageDecoder.targetKeyHeaderLength(),
            AgentMessageDecoder.senderTypeHeaderLength(),
            AgentMessageDecoder.senderKeyHeaderLength(),
            AgentMessageDecoder.payloadHeaderLength() };
        VAR_FIELDS_BY_TEMPLATE[MessageAckDecoder.TEMPLATE_ID] = NO_FIELDS;
        VAR_FIELDS_BY_TEMPLATE[EphemeralMessageDecoder.TEMPLATE_ID] = new int[] {
            EphemeralMessageDecoder.targetTypeHeaderLength(),
            EphemeralMessageDecoder.targetKeyHeaderLength(),
            EphemeralMessageDecoder.senderTypeHeaderLength(),
            EphemeralMessageDecoder.senderKeyHeaderLength(),
            EphemeralMessageDecoder.payloadHeaderLength() };
        VAR_FIELDS_BY_TEMPLATE[FrameBatchDecoder.TEMPLATE_ID] = NO_FIELDS;
        VAR_FIELDS_BY_TEMPLATE[PartitionHandoffDecoder.TEMPLATE_ID] = new int[] {
            PartitionHandoffDecoder.dataHeaderLength() };

        final boolean[] kinds = defined(Arrays.stream(RequestKind.values())
            .filter(v -> v != RequestKind.NULL_VAL).mapToInt(RequestKind::value));
        final boolean[] durabilities = defined(Arrays.stream(Durability.values())
            .filter(v -> v != Durability.NULL_VAL).mapToInt(Durability::value));
        final boolean[] statuses = defined(Arrays.stream(Status.values())
            .filter(v -> v != Status.NULL_VAL).mapToInt(Status::value));
        ENUM_OFFSETS_BY_TEMPLATE[AgentRequestDecoder.TEMPLATE_ID] = new int[] {
            AgentRequestDecoder.kindEncodingOffset(), AgentRequestDecoder.durabilityEncodingOffset() };
        ENUM_VALUES_BY_TEMPLATE[AgentRequestDecoder.TEMPLATE_ID] = new boolean[][] {kinds, durabilities};
        ENUM_OFFSETS_BY_TEMPLATE[AgentResponseDecoder.TEMPLATE_ID] = new int[] {
            AgentResponseDecoder.statusEncodingOffset() };
        ENUM_VALUES_BY_TEMPLATE[AgentResponseDecoder.TEMPLATE_ID] = new boolean[][] {statuses};
        ENUM_OFFSETS_BY_TEMPLATE[MessageAckDecoder.TEMPLATE_ID] = new int[] {MessageAckDecoder.statusEncodingOffset()};
        ENUM_VALUES_BY_TEMPLATE[MessageAckDecoder.TEMPLATE_ID] = new boolean[][] {statuses};
    }

    private static boolean[] defined(final IntStream values)
    {
        final boolean[] defined = new boolean[256];
        values.forEach(v -> defined[v & 0xFF] = true);
        return defined;
    }

    private FrameValidator()
    {
    }

    /**
     * @param buffer holding the frame.
     * @param offset of the frame's message header.
     * @param length of the frame.
     * @return {@link #VALID} or the reason the frame must be dropped.
     */
    public static int validate(final DirectBuffer buffer, final int offset, final int length)
    {
        final int headerLength = MessageHeaderDecoder.ENCODED_LENGTH;
        if (length < headerLength)
        {
            return TOO_SHORT;
        }

        final int blockLength = buffer.getShort(offset, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        final int templateId = buffer.getShort(offset + 2, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        final int schemaId = buffer.getShort(offset + 4, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        final int version = buffer.getShort(offset + 6, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;

        if (schemaId != MessageHeaderDecoder.SCHEMA_ID)
        {
            return WRONG_SCHEMA;
        }
        if (version > MessageHeaderDecoder.SCHEMA_VERSION || version == 0)
        {
            return WRONG_VERSION;
        }
        if (templateId >= VAR_FIELDS_BY_TEMPLATE.length || VAR_FIELDS_BY_TEMPLATE[templateId] == null)
        {
            return UNKNOWN_TEMPLATE;
        }
        if (blockLength < minimumBlockLength(templateId))
        {
            return TRUNCATED;
        }

        final long end = (long)offset + length;
        long position = (long)offset + headerLength + blockLength;
        if (position > end)
        {
            return TRUNCATED;
        }

        if (templateId == FrameBatchDecoder.TEMPLATE_ID)
        {
            return validateEntries(buffer, position, end);
        }

        final int[] enumOffsets = ENUM_OFFSETS_BY_TEMPLATE[templateId];
        if (enumOffsets != null)
        {
            final int block = offset + headerLength;
            for (int i = 0; i < enumOffsets.length; i++)
            {
                if (!ENUM_VALUES_BY_TEMPLATE[templateId][i][buffer.getByte(block + enumOffsets[i]) & 0xFF])
                {
                    return UNKNOWN_VALUE;
                }
            }
        }

        for (final int lengthFieldSize : VAR_FIELDS_BY_TEMPLATE[templateId])
        {
            if (position + lengthFieldSize > end)
            {
                return TRUNCATED;
            }
            final long fieldLength = lengthFieldSize == 2 ?
                buffer.getShort((int)position, ByteOrder.LITTLE_ENDIAN) & 0xFFFFL :
                buffer.getInt((int)position, ByteOrder.LITTLE_ENDIAN) & 0xFFFF_FFFFL;
            position += lengthFieldSize + fieldLength;
            if (position > end)
            {
                return TRUNCATED;
            }
        }

        return VALID;
    }

    /**
     * The {@code frames} group of a batch: at least one entry, and every entry's block and length
     * lie inside the batch.
     * The frames themselves are validated one by one when they are delivered.
     */
    private static int validateEntries(final DirectBuffer buffer, final long groupPosition, final long end)
    {
        final int groupHeaderLength = FrameBatchDecoder.FramesDecoder.sbeHeaderSize();
        if (groupPosition + groupHeaderLength > end)
        {
            return TRUNCATED;
        }
        final int entryBlockLength = buffer.getShort((int)groupPosition, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        final int count = buffer.getShort((int)groupPosition + 2, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        if (count == 0)
        {
            return TRUNCATED;
        }
        final int lengthFieldSize = FrameBatchDecoder.FramesDecoder.frameHeaderLength();
        long position = groupPosition + groupHeaderLength;
        for (int i = 0; i < count; i++)
        {
            position += entryBlockLength;
            if (position + lengthFieldSize > end)
            {
                return TRUNCATED;
            }
            position += lengthFieldSize + (buffer.getInt((int)position, ByteOrder.LITTLE_ENDIAN) & 0xFFFF_FFFFL);
            if (position > end)
            {
                return TRUNCATED;
            }
        }
        return VALID;
    }

    /**
     * @param reason a value returned by {@link #validate(DirectBuffer, int, int)}.
     * @return a short label for logs and metrics.
     */
    public static String reasonLabel(final int reason)
    {
        return switch (reason)
        {
            case VALID -> "valid";
            case TOO_SHORT -> "too_short";
            case WRONG_SCHEMA -> "wrong_schema";
            case WRONG_VERSION -> "wrong_version";
            case UNKNOWN_TEMPLATE -> "unknown_template";
            case TRUNCATED -> "truncated";
            case NESTED_BATCH -> "nested_batch";
            case UNKNOWN_VALUE -> "unknown_value";
            default -> "unknown";
        };
    }

    /**
     * Number of distinct reasons, for arrays of counters indexed by reason.
     */
    public static final int REASON_COUNT = 8;

    private static int minimumBlockLength(final int templateId)
    {
        return switch (templateId)
        {
            case AgentRequestDecoder.TEMPLATE_ID -> AgentRequestDecoder.BLOCK_LENGTH;
            case AgentResponseDecoder.TEMPLATE_ID -> AgentResponseDecoder.BLOCK_LENGTH;
            case AgentMessageDecoder.TEMPLATE_ID -> AgentMessageDecoder.BLOCK_LENGTH;
            case MessageAckDecoder.TEMPLATE_ID -> MessageAckDecoder.BLOCK_LENGTH;
            case EphemeralMessageDecoder.TEMPLATE_ID -> EphemeralMessageDecoder.BLOCK_LENGTH;
            case FrameBatchDecoder.TEMPLATE_ID -> FrameBatchDecoder.BLOCK_LENGTH;
            case PartitionHandoffDecoder.TEMPLATE_ID -> PartitionHandoffDecoder.BLOCK_LENGTH;
            default -> Integer.MAX_VALUE;
        };
    }
}
