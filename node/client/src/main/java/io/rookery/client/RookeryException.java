package io.rookery.client;

/**
 * A request the cluster answered with an error, or could not answer.
 */
public final class RookeryException extends RuntimeException
{
    private final int httpStatus;
    private final String status;

    /**
     * @param httpStatus the HTTP status code, or 0 when no node answered.
     * @param status     Rookery's status name (BAD_REQUEST, AGENT_ERROR, UNAVAILABLE...).
     * @param message    the readable message.
     */
    public RookeryException(final int httpStatus, final String status, final String message)
    {
        super(status + " (" + httpStatus + "): " + message);
        this.httpStatus = httpStatus;
        this.status = status;
    }

    /** @return the HTTP status code, or 0 when no node answered. */
    public int httpStatus()
    {
        return httpStatus;
    }

    /** @return Rookery's status name. */
    public String status()
    {
        return status;
    }

    /**
     * @return whether retrying may help (the cluster was unavailable, overloaded or slow). A
     * request that changes state is only safe to retry with an idempotency key.
     */
    public boolean retryable()
    {
        return httpStatus == 0 || httpStatus == 429 || httpStatus == 503 || httpStatus == 504;
    }
}
