package io.rookery.api;

/**
 * Thrown by an agent's handler to refuse a message. The turn's effects are discarded (state,
 * messages, timers) and the caller receives the message as an error (HTTP 422).
 */
public class AgentException extends RuntimeException
{
    /**
     * @param message why the agent refused, for the caller.
     */
    public AgentException(final String message)
    {
        super(message, null, false, false);
    }
}
