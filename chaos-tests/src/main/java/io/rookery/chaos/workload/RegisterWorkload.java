package io.rookery.chaos.workload;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import io.rookery.api.Codecs;
import io.rookery.chaos.ChaosCluster;
import io.rookery.chaos.History;
import io.rookery.chaos.Violation;
import io.rookery.chaos.checker.LinearizabilityChecker;
import io.rookery.chaos.checker.LinearizabilityChecker.Operation;
import io.rookery.chaos.checker.LinearizabilityChecker.Outcome;
import io.rookery.client.RookeryClient;

/**
 * Reads, writes and compare-and-sets on a few registers; each register's history must be
 * linearizable.
 */
public final class RegisterWorkload extends AbstractWorkload
{
    private static final int KEYS = 4;

    private final Map<String, List<Operation>> operations = new TreeMap<>();
    private int nextId;

    /**
     * @param history the run's history.
     * @param client  client over every node.
     * @param seed    random seed.
     */
    public RegisterWorkload(final History history, final RookeryClient client, final long seed)
    {
        super(history, client, 3, seed);
    }

    public String name()
    {
        return "register";
    }

    public void setUp(final ChaosCluster cluster)
    {
    }

    void operate(final int process, final Random random)
    {
        final String key = "chaos-r-" + random.nextInt(KEYS);
        final int kind = random.nextInt(3);
        final long value = random.nextInt(5);
        final long expected = random.nextInt(5);
        final String message = switch (kind)
        {
            case 0 -> "{\"op\":\"read\"}";
            case 1 -> "{\"op\":\"write\",\"value\":" + value + "}";
            default -> "{\"op\":\"cas\",\"expected\":" + expected + ",\"value\":" + value + "}";
        };
        final String f = kind == 0 ? "read" : kind == 1 ? "write" : "cas";
        final long invoke = history.now();
        history.record(process, name(), "invoke", f, key, message, invoke);
        Outcome outcome;
        JsonNode reply = null;
        try
        {
            reply = Codecs.parseJson(client.ask("register", key, message).join().getBytes(StandardCharsets.UTF_8));
            outcome = Outcome.OK;
        }
        catch (final RuntimeException ex)
        {
            outcome = "fail".equals(classify(ex)) ? Outcome.FAIL : Outcome.INFO;
        }
        final long complete = history.now();
        history.record(process, name(), outcome.name().toLowerCase(), f, key,
            reply == null ? null : reply.toString(), complete);
        count(f + ":" + outcome.name().toLowerCase());
        synchronized (operations)
        {
            final int id = nextId++;
            final Operation op = switch (kind)
            {
                case 0 -> outcome == Outcome.OK ? Operation.read(id, reply.get("value").asLong(), invoke, complete) :
                    new Operation(id, LinearizabilityChecker.Kind.READ, 0, 0, false, outcome, invoke, complete);
                case 1 -> Operation.write(id, value, outcome, invoke, complete);
                default -> Operation.cas(id, expected, value, reply != null && reply.get("ok").asBoolean(), outcome,
                    invoke, complete);
            };
            operations.computeIfAbsent(key, k -> new ArrayList<>()).add(op);
        }
        if (outcome != Outcome.OK)
        {
            pause(50);
        }
    }

    public List<Violation> check(final ChaosCluster cluster, final Duration deadline)
    {
        final List<Violation> violations = new ArrayList<>();
        synchronized (operations)
        {
            for (final Map.Entry<String, List<Operation>> entry : operations.entrySet())
            {
                final LinearizabilityChecker.Result result = LinearizabilityChecker.check(entry.getValue(), 0);
                if (!result.conclusive())
                {
                    count("inconclusive");
                }
                else if (!result.linearizable())
                {
                    violations.add(new Violation(name(), "register " + entry.getKey() + " is not linearizable: " +
                        result.explanation()));
                }
            }
        }
        return violations;
    }
}
