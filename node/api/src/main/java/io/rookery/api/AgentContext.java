package io.rookery.api;

import java.time.Duration;

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
     * <p>
     * Between durable agents the message goes through this partition's replicated outbox and is
     * delivered exactly once, in order per pair of partitions, even across crashes and leader
     * changes. To or from an ephemeral agent it is delivered at most once.
     *
     * @param target  the receiving agent.
     * @param message encoded with JSON, or sent as is when it is a {@code byte[]}; it must decode
     *                with the target type's message codec.
     */
    void send(AgentId target, Object message);

    /**
     * Sends a message whose receiver's {@link #reply(Object)} comes back to this agent as an
     * ordinary message (with {@link #sender()} the receiver), exactly once when both are durable.
     * There is no built-in wait: to act when no reply comes, set a timer.
     *
     * @param target  the receiving agent.
     * @param message as for {@link #send(AgentId, Object)}; the reply must decode with this agent's codec.
     */
    void ask(AgentId target, Object message);

    /**
     * Sets a durable timer: after {@code delay}, {@code message} is delivered to this agent as an
     * ordinary turn (with {@link #sender()} null). Timers are part of the partition's replicated
     * state: they survive restarts and fire on whichever node leads the partition when they are
     * due. Setting a timer with the name of a pending one replaces it. A timer fires once: its
     * removal commits with the turn that handles it.
     *
     * @param name    identifies the timer within this agent.
     * @param delay   from this turn's {@link #nowMillis()}; zero or negative fires as soon as possible.
     * @param message encoded like {@link #send(AgentId, Object)}; must decode with this agent's codec.
     * @throws IllegalStateException for ephemeral agents, which have no durable state.
     */
    void setTimer(String name, Duration delay, Object message);

    /**
     * Cancels a pending timer of this agent; does nothing when there is none by that name.
     *
     * @param name the timer's name.
     */
    void cancelTimer(String name);

    /**
     * Deletes this agent's state: when this turn commits, the agent has no stored state any more,
     * so it no longer appears when agents of its type are listed, and its next turn starts from
     * {@link AgentType#initialState(AgentId)}. The state the handler returns from this turn is not
     * kept. Replies, messages and timer changes of the turn go ahead as usual; pending timers
     * stay (cancel them in the same turn to end the agent for good).
     * <p>
     * A default method, so that contexts written for tests keep compiling; the runtime's own
     * context implements it.
     *
     * @throws UnsupportedOperationException from a context that cannot delete state.
     */
    default void deleteState()
    {
        throw new UnsupportedOperationException("this context cannot delete an agent's state");
    }
}
