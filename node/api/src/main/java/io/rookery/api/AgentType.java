package io.rookery.api;

/**
 * A kind of agent: how its state and messages are encoded, what state a fresh agent has, and how
 * it handles one message. One instance serves every agent of the type, so it must be stateless
 * and thread-safe; an agent's state is the value passed to and returned from
 * {@link #handle(AgentContext, Object, Object)}.
 * <p>
 * Implementations are discovered with {@link java.util.ServiceLoader}: list the class in
 * {@code META-INF/services/io.rookery.api.AgentType} of a bundle (a jar with a
 * {@code META-INF/rookery-bundle.properties} descriptor) and deploy it with {@code rookery deploy};
 * each node loads it in a class loader of its own that sees this API, Jackson and the JDK only.
 * An application embedding a node may also put types on the node's classpath.
 *
 * <h2>Versions</h2>
 * When a new version of a bundle is activated, every agent moves to it at a turn boundary: its
 * state, encoded by the old version's codec, is handed to the new version's
 * {@link #migrate(AgentId, String, byte[])}. Messages, timers and replies already encoded stay
 * as they are, so a new version must still decode the messages the old one accepted.
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
     * Reads state that another version of this type stored: when an agent moves to this version at
     * a turn boundary, and when its stored state was written by an earlier version. The default
     * decodes it with this version's codec; override it to convert an older layout.
     *
     * @param id        the agent.
     * @param writtenBy version of the bundle whose code encoded {@code state}, or null when that
     *                  code was not a deployed bundle (a type on the node's classpath).
     * @param state     the state as the other version encoded it.
     * @return the state for this version.
     */
    default S migrate(final AgentId id, final String writtenBy, final byte[] state)
    {
        return stateCodec().decode(state);
    }

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
