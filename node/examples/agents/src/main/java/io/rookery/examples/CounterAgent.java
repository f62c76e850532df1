package io.rookery.examples;

import java.time.Duration;
import java.util.Map;

import io.rookery.api.AgentContext;
import io.rookery.api.AgentException;
import io.rookery.api.AgentId;
import io.rookery.api.AgentType;
import io.rookery.api.Codec;
import io.rookery.api.Codecs;

/**
 * A durable counter. Messages (JSON):
 * <ul>
 *   <li>{@code {"op":"increment","by":n}} adds n (default 1) and replies {@code {"value":v}};</li>
 *   <li>{@code {"op":"get"}} replies {@code {"value":v}};</li>
 *   <li>{@code {"op":"forward","to":"k","by":n}} sends an increment of n to counter {@code k},
 *       which may live in any partition on any node, and replies {@code {"forwarded":n}};</li>
 *   <li>{@code {"op":"schedule","by":n,"delayMs":d}} sets a durable timer that increments this
 *       counter by n after d milliseconds (replacing a pending one), replies {@code {"scheduled":n}};</li>
 *   <li>{@code {"op":"cancel"}} cancels the pending scheduled increment;</li>
 *   <li>{@code {"op":"delete"}} deletes the counter (its state and any scheduled increment):
 *       it no longer appears in lists and counts again from 0; replies {@code {"deleted":true}}.</li>
 * </ul>
 */
public final class CounterAgent implements AgentType<Long, CounterAgent.Command>
{
    /** The type name. */
    public static final String NAME = "counter";

    private static final Codec<Long> STATE = Codecs.json(Long.class);
    private static final Codec<Command> MESSAGES = Codecs.json(Command.class);

    /**
     * A counter message.
     *
     * @param op      "increment", "get", "forward", "schedule" or "cancel".
     * @param by      amount, default 1.
     * @param to      for "forward": key of the counter to increment.
     * @param delayMs for "schedule": delay of the increment.
     */
    public record Command(String op, Long by, String to, Long delayMs)
    {
        /**
         * @param op "increment", "get" or "forward".
         * @param by amount.
         * @param to target of a forward.
         */
        public Command(final String op, final Long by, final String to)
        {
            this(op, by, to, null);
        }
    }

    /**
     * A counter reply.
     *
     * @param value the counter's value after the message.
     */
    public record Value(long value)
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
        final String op = command.op() == null ? "increment" : command.op();
        final long by = command.by() == null ? 1 : command.by();
        switch (op)
        {
            case "increment" ->
            {
                final long value = Math.addExact(state, by);
                ctx.reply(new Value(value));
                return value;
            }
            case "delete" ->
            {
                ctx.cancelTimer("scheduled");
                ctx.deleteState();
                ctx.reply(java.util.Map.of("deleted", true));
                return state;
            }
            case "get" ->
            {
                ctx.reply(new Value(state));
                return state;
            }
            case "forward" ->
            {
                if (command.to() == null || command.to().isEmpty())
                {
                    throw new AgentException("forward needs \"to\": the key of the counter to increment");
                }
                ctx.send(AgentId.of(NAME, command.to()), new Command("increment", by, null));
                ctx.reply(Map.of("forwarded", by));
                return state;
            }
            case "schedule" ->
            {
                if (command.delayMs() == null || command.delayMs() < 0)
                {
                    throw new AgentException("schedule needs \"delayMs\" >= 0");
                }
                ctx.setTimer("scheduled", Duration.ofMillis(command.delayMs()), new Command("increment", by, null));
                ctx.reply(Map.of("scheduled", by));
                return state;
            }
            case "cancel" ->
            {
                ctx.cancelTimer("scheduled");
                ctx.reply(Map.of("cancelled", true));
                return state;
            }
            default -> throw new AgentException(
                "unknown op '" + op + "'; expected increment, get, forward, schedule, cancel or delete");
        }
    }
}
