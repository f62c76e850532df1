package io.rookery.examples;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.rookery.api.AgentContext;
import io.rookery.api.AgentException;
import io.rookery.api.AgentId;
import io.rookery.api.AgentType;
import io.rookery.api.Codec;
import io.rookery.api.Codecs;
import io.rookery.api.Durability;

/**
 * An ephemeral inbox of one chat member: the last {@value #KEEP} lines delivered to it by
 * {@link ChatRoomAgent}s, in memory only. Messages (JSON):
 * <ul>
 *   <li>{@code {"op":"deliver","room":"r","from":"m","text":"t"}} (from rooms);</li>
 *   <li>{@code {"op":"read"}} replies {@code {"received":n,"lines":[...]}}.</li>
 * </ul>
 */
public final class InboxAgent implements AgentType<InboxAgent.State, InboxAgent.Command>
{
    /** The type name. */
    public static final String NAME = "inbox";
    /** Lines kept per inbox. */
    public static final int KEEP = 100;

    private static final Codec<State> STATE = Codecs.json(State.class);
    private static final Codec<Command> MESSAGES = Codecs.json(Command.class);

    /**
     * An inbox.
     *
     * @param received lines delivered since activation.
     * @param lines    the last {@value #KEEP} of them, oldest first, as {@code room/from: text}.
     */
    public record State(long received, List<String> lines)
    {
    }

    /**
     * A message to an inbox.
     *
     * @param op   deliver or read.
     * @param room for deliver: the room the line was said in.
     * @param from for deliver: who said it.
     * @param text for deliver: the line.
     */
    public record Command(String op, String room, String from, String text)
    {
    }

    public String name()
    {
        return NAME;
    }

    public Durability durability()
    {
        return Durability.EPHEMERAL;
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
        return new State(0, List.of());
    }

    public State handle(final AgentContext ctx, final State state, final Command command)
    {
        final String op = command.op() == null ? "" : command.op();
        switch (op)
        {
            case "deliver" ->
            {
                final List<String> lines = new ArrayList<>(state.lines());
                lines.add(command.room() + "/" + command.from() + ": " + command.text());
                if (lines.size() > KEEP)
                {
                    lines.remove(0);
                }
                return new State(state.received() + 1, lines);
            }
            case "read" ->
            {
                ctx.reply(Map.of("received", state.received(), "lines", state.lines()));
                return state;
            }
            default -> throw new AgentException("unknown op '" + op + "'; expected deliver or read");
        }
    }
}
