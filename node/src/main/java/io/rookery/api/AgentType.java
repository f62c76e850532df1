package io.rookery.api;

/**
 * A kind of agent: how its state and messages are encoded, what state a fresh agent has, and how
 * it handles one message. One instance serves every agent of the type, so it must be stateless
 * and thread-safe; an agent's state is the value passed to and returned from
 * {@link #handle(AgentContext, Object, Object)}.
 * <p>
 * Implementations are discovered with {@link java.util.ServiceLoader}: list the class in
 * {@code META-INF/services/io.rookery.api.AgentType} of a jar on the classpath or in the node's
 * plugins directory. Every node of a cluster must have the same agent types.
 *
 * <h2>Turns</h2>
 * The runtime delivers one message at a time per agent. A turn runs
 * {@link #handle(AgentContext, Object, Object)} against the agent's current state, which may
 * include effects of earlier turns that are not committed yet. For a {@link Durability#DURABLE}
 * agent, the new state, the reply and the messages sent are replicated with the partition's next
 * log entry and released only once it commits; if the node loses leadership first, the turn
 * never happened and the caller gets an error it may retry.
 *
 * @param <S> the state type.
 * @param <M> the message type.
 */
public interface AgentType<S, M>
{
    /**
     * @return the name agents of this type are addressed by (letters, digits, '-', '_', '.').
     */
    String name();

    /**
     * @return whether agents of this type are durable (default) or ephemeral.
     */
    default Durability durability()
    {
        return Durability.DURABLE;
    }

    /**
     * @return codec of the state; its bytes are what is replicated and stored.
     */
    Codec<S> stateCodec();

    /**
     * @return codec of incoming messages; a message it cannot decode is refused as a bad request
     * before the agent sees it.
     */
    Codec<M> messageCodec();

    /**
     * @param id the agent.
     * @return the state of an agent that has never handled a message.
     */
    S initialState(AgentId id);

    /**
     * Handles one message.
     *
     * @param ctx     the turn: reply, send messages, set timers.
     * @param state   the agent's current state.
     * @param message the message.
     * @return the agent's new state (return {@code state} itself when unchanged).
     * @throws AgentException to refuse the message; the turn's effects are discarded.
     */
    S handle(AgentContext ctx, S state, M message);
}
