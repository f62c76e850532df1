package io.rookery.storage;

/**
 * The local store failed. This is never bad input: it is a broken disk or a broken invariant, and
 * the caller (the Raft state machine) must treat it as fatal rather than carry on.
 */
public final class StoreException extends RuntimeException
{
    /**
     * @param message what was being done.
     * @param cause   the RocksDB failure.
     */
    public StoreException(final String message, final Throwable cause)
    {
        super(message, cause);
    }

    /**
     * @param message what went wrong.
     */
    public StoreException(final String message)
    {
        super(message);
    }
}
