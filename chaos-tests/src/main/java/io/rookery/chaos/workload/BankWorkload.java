package io.rookery.chaos.workload;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.JsonNode;
import io.rookery.api.AgentId;
import io.rookery.api.Codecs;
import io.rookery.chaos.ChaosCluster;
import io.rookery.chaos.ChaosMain;
import io.rookery.chaos.History;
import io.rookery.chaos.Violation;
import io.rookery.client.RookeryClient;
import io.rookery.client.RookeryException;
import io.rookery.node.Partitioner;

/**
 * Transfers between accounts in different partitions, each with an idempotency key so a retry
 * never applies twice. Once the cluster healed, every transfer of unknown outcome is retried
 * until it is definitive; then the total must be what was deposited, no balance negative, and
 * every account exactly its deposit plus the credits minus the debits of applied transfers.
 */
public final class BankWorkload extends AbstractWorkload
{
    private static final int ACCOUNTS = 10;
    private static final long DEPOSIT = 1000;

    private record Transfer(String id, int from, int to, long amount)
    {
    }

    private final List<Transfer> applied = new ArrayList<>();
    private final List<Transfer> unknown = new ArrayList<>();
    private final AtomicLong next = new AtomicLong();

    /**
     * @param history the run's history.
     * @param client  client over every node.
     * @param seed    random seed.
     */
    public BankWorkload(final History history, final RookeryClient client, final long seed)
    {
        super(history, client, 2, seed);
    }

    public String name()
    {
        return "bank";
    }

    public void setUp(final ChaosCluster cluster)
    {
        for (int i = 0; i < ACCOUNTS; i++)
        {
            final String outcome = untilDefinitive("chaos-a-" + i, "{\"op\":\"deposit\",\"amount\":" + DEPOSIT + "}",
                "chaos-deposit-" + seed + "-" + i, Duration.ofSeconds(60));
            if (!"ok".equals(outcome))
            {
                throw new IllegalStateException("could not seed account chaos-a-" + i + ": " + outcome);
            }
        }
    }

    void operate(final int process, final Random random)
    {
        final int from = random.nextInt(ACCOUNTS);
        final int to = (from + 1 + random.nextInt(ACCOUNTS - 1)) % ACCOUNTS;
        final long amount = 1 + random.nextInt(100);
        final Transfer transfer = new Transfer("chaos-t-" + seed + "-" + next.incrementAndGet(), from, to, amount);
        history.record(process, name(), "invoke", "transfer", transfer.id(), transfer.toString(), history.now());
        String outcome;
        try
        {
            client.ask("account", "chaos-a-" + from, message(transfer), transfer.id()).join();
            outcome = "ok";
        }
        catch (final RuntimeException ex)
        {
            final RookeryException rookery = rookery(ex);
            outcome = rookery != null && rookery.getMessage().contains("insufficient funds") ? "fail" : "info";
        }
        history.record(process, name(), outcome, "transfer", transfer.id(), null, history.now());
        count("transfer:" + outcome);
        synchronized (applied)
        {
            if ("ok".equals(outcome))
            {
                applied.add(transfer);
            }
            else if ("info".equals(outcome))
            {
                unknown.add(transfer);
            }
        }
        if ("info".equals(outcome))
        {
            pause(50);
        }
    }

    public List<Violation> check(final ChaosCluster cluster, final Duration deadline)
    {
        final List<Violation> violations = new ArrayList<>();
        final List<Transfer> toResolve;
        synchronized (applied)
        {
            toResolve = List.copyOf(unknown);
        }
        for (final Transfer transfer : toResolve)
        {
            final String outcome = untilDefinitive("chaos-a-" + transfer.from(), message(transfer), transfer.id(),
                deadline);
            count("resolved:" + outcome);
            if ("ok".equals(outcome))
            {
                synchronized (applied)
                {
                    applied.add(transfer);
                }
            }
            else if (!"fail".equals(outcome))
            {
                violations.add(new Violation(name(), "transfer " + transfer.id() + " still has no definitive outcome " +
                    "after the cluster healed: " + outcome));
            }
        }
        final long[] expected = new long[ACCOUNTS];
        java.util.Arrays.fill(expected, DEPOSIT);
        synchronized (applied)
        {
            for (final Transfer t : applied)
            {
                expected[t.from()] -= t.amount();
                expected[t.to()] += t.amount();
            }
        }
        final long until = System.nanoTime() + deadline.toNanos();
        JsonNode[] balances = balances();
        while (!settled(balances) && System.nanoTime() < until)
        {
            pause(500);
            balances = balances();
        }
        if (!settled(balances))
        {
            violations.add(new Violation(name(), "credits still in flight (or accounts unreadable) " + deadline +
                " after the cluster healed: " + describeUnsettled(cluster, balances)));
            return violations;
        }
        long total = 0;
        for (int i = 0; i < ACCOUNTS; i++)
        {
            final long balance = balances[i].get("balance").asLong();
            total += balance;
            if (balance < 0)
            {
                violations.add(new Violation(name(), "chaos-a-" + i + " has a negative balance " + balance));
            }
            if (balance != expected[i])
            {
                violations.add(new Violation(name(), "chaos-a-" + i + " holds " + balance + " but its deposit and " +
                    "the applied transfers give " + expected[i] + " (a transfer lost or applied twice)"));
            }
        }
        if (total != ACCOUNTS * DEPOSIT)
        {
            violations.add(new Violation(name(), "money not conserved: total " + total + ", deposited " +
                ACCOUNTS * DEPOSIT));
        }
        return violations;
    }

    /**
     * Names the accounts not settled, with their partitions, and prints what every node knows of
     * the first few of those partitions (owner, leader, outbox and inbox), for the report.
     */
    private static String describeUnsettled(final ChaosCluster cluster, final JsonNode[] balances)
    {
        final StringBuilder names = new StringBuilder();
        int described = 0;
        for (int i = 0; i < ACCOUNTS; i++)
        {
            if (balances[i] != null && balances[i].get("inFlight").asLong() == 0)
            {
                continue;
            }
            final int partition = Partitioner.partition(AgentId.of("account", "chaos-a-" + i), ChaosMain.PARTITIONS);
            names.append(names.isEmpty() ? "" : ", ").append("chaos-a-").append(i).append(" (partition ")
                .append(partition).append(balances[i] == null ? ", unreadable)" : ", in flight " +
                    balances[i].get("inFlight").asLong() + ")");
            if (described++ < 3)
            {
                System.out.println("bank: partition " + partition + " of unsettled chaos-a-" + i +
                    " as each node sees it:");
                cluster.describePartition(partition)
                    .forEach((node, view) -> System.out.println("  " + node + ": " + view));
            }
        }
        return names.toString();
    }

    private boolean settled(final JsonNode[] balances)
    {
        for (final JsonNode balance : balances)
        {
            if (balance == null || balance.get("inFlight").asLong() != 0)
            {
                return false;
            }
        }
        return true;
    }

    private JsonNode[] balances()
    {
        final JsonNode[] balances = new JsonNode[ACCOUNTS];
        for (int i = 0; i < ACCOUNTS; i++)
        {
            try
            {
                balances[i] = Codecs.parseJson(client.ask("account", "chaos-a-" + i, "{\"op\":\"balance\"}").join()
                    .getBytes(StandardCharsets.UTF_8));
            }
            catch (final RuntimeException ex)
            {
                balances[i] = null;
            }
        }
        return balances;
    }

    private String untilDefinitive(final String account, final String message, final String key, final Duration limit)
    {
        final long until = System.nanoTime() + limit.toNanos();
        String last = "info";
        while (System.nanoTime() < until)
        {
            try
            {
                client.ask("account", account, message, key).join();
                return "ok";
            }
            catch (final RuntimeException ex)
            {
                final RookeryException rookery = rookery(ex);
                if (rookery != null && rookery.getMessage().contains("insufficient funds"))
                {
                    return "fail";
                }
                last = String.valueOf(rookery != null ? rookery.getMessage() : ex.getMessage());
                pause(250);
            }
        }
        return last;
    }

    private static String message(final Transfer t)
    {
        return "{\"op\":\"transfer\",\"to\":\"chaos-a-" + t.to() + "\",\"amount\":" + t.amount() +
            ",\"transferId\":\"" + t.id() + "\"}";
    }
}
