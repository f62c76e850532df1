package io.rookery.examples.greeter;

import com.fasterxml.jackson.databind.JsonNode;
import io.rookery.api.AgentContext;
import io.rookery.api.AgentException;
import io.rookery.api.AgentId;
import io.rookery.api.AgentType;
import io.rookery.api.Codec;
import io.rookery.api.Codecs;

/**
 * Version 2 of the greeter: greets differently and remembers how many greetings version 1 gave,
 * through the migration hook. {@code {"op":"greet"}} replies
 * {@code {"greeting":"Hello again, KEY!","version":2,"greetings":n,"greetingsByV1":m}}.
 */
public final class GreeterAgent implements AgentType<GreeterAgent.State, GreeterAgent.Command>
{
    /** The type name. */
    public static final String NAME = "greeter";
    /** What this version says it is in every reply. */
    public static final int VERSION = 2;

    private static final Codec<State> STATE = Codecs.json(State.class);
    private static final Codec<Command> MESSAGES = Codecs.json(Command.class);

    /**
     * @param greetings     how many greetings this agent gave, under any version.
     * @param greetingsByV1 how many of them version 1 gave.
     */
    public record State(long greetings, long greetingsByV1)
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
     * @param greeting      the greeting.
     * @param version       the version of the code that answered.
     * @param greetings     greetings given so far.
     * @param greetingsByV1 greetings version 1 gave.
     */
    public record Greeting(String greeting, int version, long greetings, long greetingsByV1)
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
        return new State(0, 0);
    }

    /**
     * Version 1 stored {@code {"greetings":n}}; all of those were its greetings.
     */
    public State migrate(final AgentId id, final String writtenBy, final byte[] state)
    {
        if (writtenBy != null && writtenBy.startsWith("1."))
        {
            final JsonNode old = Codecs.parseJson(state);
            final long greetings = old.path("greetings").asLong();
            return new State(greetings, greetings);
        }
        return STATE.decode(state);
    }

    public State handle(final AgentContext ctx, final State state, final Command command)
    {
        final String op = command.op() == null ? "greet" : command.op();
        final State next = switch (op)
        {
            case "greet" -> new State(state.greetings() + 1, state.greetingsByV1());
            case "get" -> state;
            default -> throw new AgentException("unknown op '" + op + "'; expected greet or get");
        };
        ctx.reply(new Greeting("Hello again, " + ctx.self().key() + "!", VERSION, next.greetings(),
            next.greetingsByV1()));
        return next;
    }
}
