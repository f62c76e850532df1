package io.rookery.api;

/**
 * Turns values into bytes and back, for agent state and messages. Implementations must be
 * thread-safe and deterministic: equal values encode to equal bytes.
 *
 * @param <T> the value type.
 */
public interface Codec<T>
{
    /**
     * @param value to encode, never null.
     * @return its bytes.
     */
    byte[] encode(T value);

    /**
     * @param bytes to decode.
     * @return the value.
     * @throws CodecException when the bytes are not a valid encoding; the message is shown to the
     *                        caller, so say what was wrong.
     */
    T decode(byte[] bytes);

    /**
     * Renders a value for people and JSON clients ({@code GET /agents/{type}/{key}}). The default
     * decodes and renders with the JSON codec's mapper.
     *
     * @param bytes encoded value.
     * @return a JSON document.
     */
    default byte[] toJson(final byte[] bytes)
    {
        return Codecs.JSON_MAPPER_VIEW.render(decode(bytes));
    }
}
