package io.rookery.api;

/**
 * Bytes that are not a valid encoding. Reported to the caller as a bad request.
 */
public final class CodecException extends RuntimeException
{
    /**
     * @param message what was wrong with the bytes, for the caller.
     * @param cause   the parser's complaint, if any.
     */
    public CodecException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
