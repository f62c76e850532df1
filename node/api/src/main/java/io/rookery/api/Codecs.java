package io.rookery.api;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * Ready-made codecs: JSON for records and plain values at the edge, raw bytes and UTF-8 text
 * for speed.
 */
public final class Codecs
{
    static final ObjectMapper MAPPER = new ObjectMapper()
        .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true)
        .configure(DeserializationFeature.FAIL_ON_TRAILING_TOKENS, true)
        .configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, true)
        .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    static final JsonView JSON_MAPPER_VIEW = new JsonView();

    private static final Codec<byte[]> BYTES = new Codec<>()
    {
        public byte[] encode(final byte[] value)
        {
            return value;
        }

        public byte[] decode(final byte[] bytes)
        {
            return bytes;
        }

        public byte[] toJson(final byte[] bytes)
        {
            return JSON_MAPPER_VIEW.render(java.util.Base64.getEncoder().encodeToString(bytes));
        }
    };

    private static final Codec<String> UTF8 = new Codec<>()
    {
        public byte[] encode(final String value)
        {
            return value.getBytes(StandardCharsets.UTF_8);
        }

        public String decode(final byte[] bytes)
        {
            return new String(bytes, StandardCharsets.UTF_8);
        }
    };

    private Codecs()
    {
    }

    /**
     * JSON through Jackson. Strict: unknown properties, trailing garbage and nulls for primitives
     * are errors, so a caller's typo is reported rather than silently ignored.
     *
     * @param type the value type (records work).
     * @param <T>  the value type.
     * @return the codec.
     */
    public static <T> Codec<T> json(final Class<T> type)
    {
        return new Codec<>()
        {
            public byte[] encode(final T value)
            {
                return JSON_MAPPER_VIEW.render(value);
            }

            public T decode(final byte[] bytes)
            {
                if (bytes.length == 0)
                {
                    throw new CodecException("empty body: expected JSON for " + type.getSimpleName(), null);
                }
                try
                {
                    return MAPPER.readValue(bytes, type);
                }
                catch (final JsonProcessingException ex)
                {
                    throw new CodecException("malformed JSON for " + type.getSimpleName() + ": " +
                        withoutJacksonHints(ex.getOriginalMessage()), ex);
                }
                catch (final IOException ex)
                {
                    throw new CodecException("unreadable JSON: " + ex.getMessage(), ex);
                }
            }

            public byte[] toJson(final byte[] bytes)
            {
                return bytes;
            }
        };
    }

    /**
     * @return the identity codec: the agent sees the bytes as sent.
     */
    public static Codec<byte[]> bytes()
    {
        return BYTES;
    }

    /**
     * @return UTF-8 text.
     */
    public static Codec<String> utf8()
    {
        return UTF8;
    }

    /**
     * @param value any value Jackson can write.
     * @return its JSON.
     */
    public static byte[] toJson(final Object value)
    {
        return JSON_MAPPER_VIEW.render(value);
    }

    /**
     * @param bytes a JSON document.
     * @return its tree.
     * @throws CodecException when it is not JSON.
     */
    public static JsonNode parseJson(final byte[] bytes)
    {
        try
        {
            return MAPPER.readTree(bytes);
        }
        catch (final IOException ex)
        {
            throw new CodecException("malformed JSON: " + ex.getMessage(), ex);
        }
    }

    private static String withoutJacksonHints(final String message)
    {
        final int hint = message == null ? -1 : message.indexOf(" (set DeserializationConfig");
        return hint < 0 ? message : message.substring(0, hint);
    }

    /**
     * @param bytes a JSON document.
     * @param type  what to read it as.
     * @param <T>   the type.
     * @return the value.
     * @throws CodecException when it is not JSON of that shape.
     */
    public static <T> T parseJsonAs(final byte[] bytes, final Class<T> type)
    {
        try
        {
            return LENIENT.readValue(bytes, type);
        }
        catch (final IOException ex)
        {
            throw new CodecException("malformed JSON: " + ex.getMessage(), ex);
        }
    }

    private static final ObjectMapper LENIENT = new ObjectMapper();

    static final class JsonView
    {
        byte[] render(final Object value)
        {
            try
            {
                return MAPPER.writeValueAsBytes(value);
            }
            catch (final JsonProcessingException ex)
            {
                throw new CodecException("cannot write " + value.getClass().getSimpleName() + " as JSON", ex);
            }
        }
    }
}
