package io.rookery.examples;

import java.util.Map;
import java.util.TreeMap;

import io.rookery.api.AgentContext;
import io.rookery.api.AgentException;
import io.rookery.api.AgentId;
import io.rookery.api.AgentType;
import io.rookery.api.Codec;
import io.rookery.api.Codecs;

/**
 * A bank account. Transfers between accounts in different partitions (on different nodes) rely on
 * exactly-once durable messages: the source debits and, in the same turn, asks the target to
 * credit; the target credits once and confirms; the source then forgets the transfer. Money is
 * conserved at every committed state, counting transfers still in flight, and a balance never
 * goes negative.
 * <p>
 * Messages (JSON): {@code {"op":"deposit","amount":n}}, {@code {"op":"transfer","to":"k","amount":n,
 * "transferId":"t"}}, {@code {"op":"balance"}}; between accounts: {@code credit} and {@code credited}.
 * Retrying a transfer safely is what the HTTP {@code Idempotency-Key} header is for.
 */
public final class AccountAgent implements AgentType<AccountAgent.State, AccountAgent.Command>
{
    /** The type name. */
    public static final String NAME = "account";

    private static final Codec<State> STATE = Codecs.json(State.class);
    private static final Codec<Command> MESSAGES = Codecs.json(Command.class);

    /**
     * Balance and the transfers debited here whose credit is not confirmed yet.
     *
     * @param balance  the balance.
     * @param outgoing transfer id to amount, debited but not yet confirmed by the target.
     */
    public record State(long balance, Map<String, Long> outgoing)
    {
    }

    /**
     * A message to an account.
     *
     * @param op         deposit, transfer, balance, credit, credited.
     * @param amount     amount (positive).
     * @param to         target account key of a transfer.
     * @param transferId id of a transfer.
     */
    public record Command(String op, Long amount, String to, String transferId)
    {
    }

    /**
     * The reply to a balance query or an operation.
     *
     * @param balance  balance after the message.
     * @param inFlight amount debited here whose credit is not confirmed yet.
     */
    public record Balance(long balance, long inFlight)
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
        return new State(0, Map.of());
    }

    public State handle(final AgentContext ctx, final State state, final Command command)
    {
        final String op = command.op() == null ? "" : command.op();
        switch (op)
        {
            case "deposit" ->
            {
                final long amount = positive(command.amount());
                final State next = new State(Math.addExact(state.balance(), amount), state.outgoing());
                ctx.reply(balance(next));
                return next;
            }
            case "transfer" ->
            {
                final long amount = positive(command.amount());
                if (command.to() == null || command.to().isEmpty() || command.to().equals(ctx.self().key()))
                {
                    throw new AgentException("transfer needs \"to\": another account");
                }
                if (command.transferId() == null || command.transferId().isEmpty())
                {
                    throw new AgentException("transfer needs a \"transferId\"");
                }
                if (state.outgoing().containsKey(command.transferId()))
                {
                    throw new AgentException("transfer " + command.transferId() + " is already in flight");
                }
                if (state.balance() < amount)
                {
                    throw new AgentException("insufficient funds: balance " + state.balance() + ", transfer " + amount);
                }
                final Map<String, Long> outgoing = new TreeMap<>(state.outgoing());
                outgoing.put(command.transferId(), amount);
                final State next = new State(state.balance() - amount, outgoing);
                ctx.ask(AgentId.of(NAME, command.to()), new Command("credit", amount, null, command.transferId()));
                ctx.reply(balance(next));
                return next;
            }
            case "credit" ->
            {
                requireAccountSender(ctx);
                final State next = new State(Math.addExact(state.balance(), positive(command.amount())),
                    state.outgoing());
                ctx.reply(new Command("credited", command.amount(), null, command.transferId()));
                return next;
            }
            case "credited" ->
            {
                requireAccountSender(ctx);
                final Map<String, Long> outgoing = new TreeMap<>(state.outgoing());
                outgoing.remove(command.transferId());
                return new State(state.balance(), outgoing);
            }
            case "balance" ->
            {
                ctx.reply(balance(state));
                return state;
            }
            default -> throw new AgentException(
                "unknown op '" + op + "'; expected deposit, transfer or balance");
        }
    }

    private static Balance balance(final State state)
    {
        long inFlight = 0;
        for (final long amount : state.outgoing().values())
        {
            inFlight += amount;
        }
        return new Balance(state.balance(), inFlight);
    }

    private static long positive(final Long amount)
    {
        if (amount == null || amount <= 0)
        {
            throw new AgentException("\"amount\" must be a positive number");
        }
        return amount;
    }

    private static void requireAccountSender(final AgentContext ctx)
    {
        if (ctx.sender() == null || !NAME.equals(ctx.sender().type()))
        {
            throw new AgentException("credit and credited are sent by accounts only");
        }
    }
}
