package io.rookery.chaos.workload;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.rookery.api.AgentContext;
import io.rookery.api.AgentException;
import io.rookery.api.AgentId;
import io.rookery.api.AgentType;
import io.rookery.api.Codec;
import io.rookery.api.Codecs;

/**
 * Agents for the agent-to-agent sequence workload. A sender numbers the messages it sends to
 * each receiver (1, 2, 3...); a receiver checks that, from every sender, it sees exactly the next
 * number each time, and records any anomaly (a gap, a repeat, a reordering).
 */
public final class SequenceAgents
{
    private SequenceAgents()
    {
    }

    /**
     * A message of the sequence workload.
     *
     * @param op   emit (to a sender) or seq (to a receiver).
     * @param to   for emit: the receiver's key.
     * @param from for seq: the sender's key.
     * @param seq  for seq: the number.
     */
    public record Command(String op, String to, String from, Long seq)
    {
    }

    /**
     * The sender's state.
     *
     * @param sent numbers of the messages sent so far, per receiver.
     */
    public record SenderState(Map<String, Long> sent)
    {
    }

    /**
     * The sender: numbers its messages to each receiver.
     */
    public static final class Sender implements AgentType<SenderState, Command>
    {
        /** The type name. */
        public static final String NAME = "seqsender";

        private static final Codec<SenderState> STATE = Codecs.json(SenderState.class);
        private static final Codec<Command> MESSAGES = Codecs.json(Command.class);

        public String name()
        {
            return NAME;
        }

        public Codec<SenderState> stateCodec()
        {
            return STATE;
        }

        public Codec<Command> messageCodec()
        {
            return MESSAGES;
        }

        public SenderState initialState(final AgentId id)
        {
            return new SenderState(Map.of());
        }

        public SenderState handle(final AgentContext ctx, final SenderState state, final Command command)
        {
            if ("get".equals(command.op()))
            {
                ctx.reply(state);
                return state;
            }
            if (!"emit".equals(command.op()) || command.to() == null)
            {
                throw new AgentException("a sender takes {\"op\":\"emit\",\"to\":receiver}");
            }
            final Map<String, Long> sent = new TreeMap<>(state.sent());
            final long seq = sent.getOrDefault(command.to(), 0L) + 1;
            sent.put(command.to(), seq);
            ctx.send(AgentId.of(Receiver.NAME, command.to()), new Command("seq", null, ctx.self().key(), seq));
            ctx.reply(Map.of("sent", seq));
            return new SenderState(sent);
        }
    }

    /**
     * The receiver's view.
     *
     * @param last      last number seen per sender.
     * @param received  messages received in all.
     * @param anomalies descriptions of gaps, repeats and reorderings (at most 100 kept).
     */
    public record ReceiverState(Map<String, Long> last, long received, List<String> anomalies)
    {
    }

    /**
     * The receiver: checks each sender's numbers arrive exactly in order.
     */
    public static final class Receiver implements AgentType<ReceiverState, Command>
    {
        /** The type name. */
        public static final String NAME = "seqreceiver";

        private static final Codec<ReceiverState> STATE = Codecs.json(ReceiverState.class);
        private static final Codec<Command> MESSAGES = Codecs.json(Command.class);

        public String name()
        {
            return NAME;
        }

        public Codec<ReceiverState> stateCodec()
        {
            return STATE;
        }

        public Codec<Command> messageCodec()
        {
            return MESSAGES;
        }

        public ReceiverState initialState(final AgentId id)
        {
            return new ReceiverState(Map.of(), 0, List.of());
        }

        public ReceiverState handle(final AgentContext ctx, final ReceiverState state, final Command command)
        {
            if ("get".equals(command.op()))
            {
                ctx.reply(state);
                return state;
            }
            if (!"seq".equals(command.op()) || command.from() == null || command.seq() == null)
            {
                throw new AgentException("a receiver takes seq messages from senders");
            }
            final Map<String, Long> last = new TreeMap<>(state.last());
            final long previous = last.getOrDefault(command.from(), 0L);
            final List<String> anomalies = new ArrayList<>(state.anomalies());
            if (command.seq() != previous + 1 && anomalies.size() < 100)
            {
                anomalies.add((command.seq() <= previous ? "duplicate" : "gap") + " from " + command.from() +
                    ": got " + command.seq() + " after " + previous);
            }
            last.put(command.from(), Math.max(previous, command.seq()));
            return new ReceiverState(last, state.received() + 1, anomalies);
        }
    }
}
