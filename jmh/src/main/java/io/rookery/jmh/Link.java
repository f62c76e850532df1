package io.rookery.jmh;

/**
 * One way of getting a message from a sender to a receiver, driven by a benchmark thread.
 */
public interface Link extends AutoCloseable
{
    /**
     * Tries to send one message without blocking.
     *
     * @return whether it was accepted (false: back-pressure, try again).
     */
    boolean trySend();

    /**
     * @return messages the receiving side has handled so far.
     */
    long received();

    /**
     * Stops everything the link started and deletes its directories.
     */
    void close();
}
