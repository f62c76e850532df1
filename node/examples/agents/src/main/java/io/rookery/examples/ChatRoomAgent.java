package io.rookery.examples;

import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import io.rookery.api.AgentContext;
import io.rookery.api.AgentException;
import io.rookery.api.AgentId;
import io.rookery.api.AgentType;
import io.rookery.api.Codec;
import io.rookery.api.Codecs;
import io.rookery.api.Durability;

/**
 * An ephemeral chat room: it lives in memory on the leader of its partition and fans every line
 * out to its members' {@link InboxAgent}s, which may live on any node. Nothing is replicated:
 * when the leader moves the room starts empty again and members join afresh, the usual deal for
 * presence and live chat. Messages (JSON):
 * <ul>
 *   <li>{@code {"op":"join","member":"m"}} and {@code {"op":"leave","member":"m"}};</li>
 *   <li>{@code {"op":"say","member":"m","text":"t"}} delivers the line to every member's inbox,
 *       at most once each;</li>
 *   <li>{@code {"op":"members"}} replies {@code {"members":[...],"lines":n}}.</li>
 * </ul>
 */
public final class ChatRoomAgent implements AgentType<ChatRoomAgent.State, ChatRoomAgent.Command>
{
    /** The type name. */
    public static final String NAME = "chat-room";

    private static final Codec<State> STATE = Codecs.json(State.class);
    private static final Codec<Command> MESSAGES = Codecs.json(Command.class);

    /**
     * A room.
     *
     * @param members member names, sorted.
     * @param lines   lines said since the room was activated.
     */
    public record State(List<String> members, long lines)
    {
    }

    /**
     * A message to a room.
     *
     * @param op     join, leave, say or members.
     * @param member the member joining, leaving or speaking.
     * @param text   for say: the line.
     */
    public record Command(String op, String member, String text)
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
        return new State(List.of(), 0);
    }

    public State handle(final AgentContext ctx, final State state, final Command command)
    {
        final String op = command.op() == null ? "" : command.op();
        switch (op)
        {
            case "join", "leave" ->
            {
                final TreeSet<String> members = new TreeSet<>(state.members());
                if ("join".equals(op))
                {
                    members.add(requireMember(command));
                }
                else
                {
                    members.remove(requireMember(command));
                }
                ctx.reply(Map.of("members", members.size()));
                return new State(List.copyOf(members), state.lines());
            }
            case "say" ->
            {
                final String from = requireMember(command);
                final String room = ctx.self().key();
                for (final String member : state.members())
                {
                    ctx.send(AgentId.of(InboxAgent.NAME, member),
                        new InboxAgent.Command("deliver", room, from, command.text() == null ? "" : command.text()));
                }
                ctx.reply(Map.of("deliveredTo", state.members().size()));
                return new State(state.members(), state.lines() + 1);
            }
            case "members" ->
            {
                ctx.reply(Map.of("members", state.members(), "lines", state.lines()));
                return state;
            }
            default -> throw new AgentException("unknown op '" + op + "'; expected join, leave, say or members");
        }
    }

    private static String requireMember(final Command command)
    {
        if (command.member() == null || command.member().isEmpty())
        {
            throw new AgentException("\"member\" is required");
        }
        return command.member();
    }
}
