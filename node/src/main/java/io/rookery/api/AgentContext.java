package io.rookery.api;

/**
 * What an agent can do during a turn. Valid only during the call to
 * {@link AgentType#handle(AgentContext, Object, Object)}; do not keep it.
 * <p>
 * Effects are buffered: for a durable agent nothing here leaves the node until the turn's log
 * entry commits.
 */
public interface AgentContext
{
    /**
     * @return the agent handling the message.
     */
    AgentId self();

    /**
     * @return the agent that sent the message, or null when it came from outside (HTTP, client).
     */
    AgentId sender();

    /**
     * @return the partition the agent lives in.
     */
    int partition();

    /**
     * @return wall-clock time of the turn in epoch milliseconds, the same for every call during
     * one turn. Use it instead of reading the clock so a turn is repeatable.
     */
    long nowMillis();

    /**
     * Sets the reply to the caller, replacing any earlier one in this turn. Without a reply an
     * ask is answered with an empty JSON object.
     *
     * @param reply encoded with JSON, or sent as is when it is a {@code byte[]}.
     */
    void reply(Object reply);

    /**
     * Sends a message to another agent (or to itself), released after this turn commits.
     *
     * @param target  the receiving agent.
     * @param message encoded with JSON, or sent as is when it is a {@code byte[]}; it must decode
     *                with the target type's message codec.
     */
    void send(AgentId target, Object message);
}
