package io.rookery.examples.greeter;

import io.rookery.api.AgentContext;
import io.rookery.api.AgentException;
import io.rookery.api.AgentId;
import io.rookery.api.AgentType;
import io.rookery.api.Codec;
import io.rookery.api.Codecs;

/**
 * Version 1 of the greeter, the agent {@code bin/rookery demo upgrade} replaces while it serves.
 * {@code {"op":"greet"}} counts the greeting and replies
 * {@code {"greeting":"Hello, KEY","version":1,"greetings":n}}; {@code {"op":"get"}} replies the
 * same without counting.
 */
public final class GreeterAgent implements AgentType<GreeterAgent.State, GreeterAgent.Command>
{
    /** The type name. */
    public static final String NAME = "greeter";
    /** What this version says it is in every reply. */
    public static final int VERSION = 1;

    private static final Codec<State> STATE = Codecs.json(State.class);
    private static final Codec<Command> MESSAGES = Codecs.json(Command.class);

    /**
     * @param greetings how many greetings this agent gave.
     */
    public record State(long greetings)
    {
    }

    /**
     * @param op "greet" (default) or "get".
     */
    public record Command(String op)
    {
    }

    /**
     * A reply.
     *
     * @param greeting  the greeting.
     * @param version   the version of the code that answered.
     * @param greetings greetings given so far.
     */
    public record Greeting(String greeting, int version, long greetings)
    {
    }

    public String name()
    {
        return NAME;
    }

    public Codec<State> stateCodec()
    {
        return STATE;
    }

    public Codec<Command> messageCodec()
    {
        return MESSAGES;
    }

    public State initialState(final AgentId id)
    {
        return new State(0);
    }

    /**
     * Reads the count out of any later version's state, so a rollback to this version keeps it.
     */
    public State migrate(final AgentId id, final String writtenBy, final byte[] state)
    {
        return new State(Codecs.parseJson(state).path("greetings").asLong());
    }

    public State handle(final AgentContext ctx, final State state, final Command command)
    {
        final String op = command.op() == null ? "greet" : command.op();
        final State next = switch (op)
        {
            case "greet" -> new State(state.greetings() + 1);
            case "get" -> state;
            default -> throw new AgentException("unknown op '" + op + "'; expected greet or get");
        };
        ctx.reply(new Greeting("Hello, " + ctx.self().key(), VERSION, next.greetings()));
        return next;
    }
}
