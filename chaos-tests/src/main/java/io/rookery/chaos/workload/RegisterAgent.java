package io.rookery.chaos.workload;

import java.util.Map;

import io.rookery.api.AgentContext;
import io.rookery.api.AgentException;
import io.rookery.api.AgentId;
import io.rookery.api.AgentType;
import io.rookery.api.Codec;
import io.rookery.api.Codecs;

/**
 * A durable register for the linearizability workload: {@code read}, {@code write value},
 * {@code cas expected value}. Starts at 0.
 */
public final class RegisterAgent implements AgentType<Long, RegisterAgent.Command>
{
    /** The type name. */
    public static final String NAME = "register";

    private static final Codec<Long> STATE = Codecs.json(Long.class);
    private static final Codec<Command> MESSAGES = Codecs.json(Command.class);

    /**
     * A register operation.
     *
     * @param op       read, write or cas.
     * @param value    value to write.
     * @param expected for cas: the value the register must hold.
     */
    public record Command(String op, Long value, Long expected)
    {
    }

    public String name()
    {
        return NAME;
    }

    public Codec<Long> stateCodec()
    {
        return STATE;
    }

    public Codec<Command> messageCodec()
    {
        return MESSAGES;
    }

    public Long initialState(final AgentId id)
    {
        return 0L;
    }

    public Long handle(final AgentContext ctx, final Long state, final Command command)
    {
        switch (command.op() == null ? "" : command.op())
        {
            case "read" ->
            {
                ctx.reply(Map.of("value", state));
                return state;
            }
            case "write" ->
            {
                ctx.reply(Map.of("ok", true));
                return command.value();
            }
            case "cas" ->
            {
                final boolean ok = state.equals(command.expected());
                ctx.reply(Map.of("ok", ok));
                return ok ? command.value() : state;
            }
            default -> throw new AgentException("unknown op " + command.op());
        }
    }
}
