package io.rookery.chaos.workload;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import com.fasterxml.jackson.databind.JsonNode;
import io.rookery.api.Codecs;
import io.rookery.chaos.ChaosCluster;
import io.rookery.chaos.History;
import io.rookery.chaos.Violation;
import io.rookery.client.RookeryClient;

/**
 * Agent-to-agent sequences: senders number their durable messages to each receiver; once healed,
 * every receiver must have seen from every sender exactly 1..n in order (n being what the sender
 * committed): FIFO per pair, no loss, no duplicate.
 */
public final class SequenceWorkload extends AbstractWorkload
{
    private static final int SENDERS = 4;
    private static final int RECEIVERS = 4;

    /**
     * @param history the run's history.
     * @param client  client over every node.
     * @param seed    random seed.
     */
    public SequenceWorkload(final History history, final RookeryClient client, final long seed)
    {
        super(history, client, 2, seed);
    }

    public String name()
    {
        return "sequence";
    }

    public void setUp(final ChaosCluster cluster)
    {
    }

    void operate(final int process, final Random random)
    {
        final String sender = "chaos-s-" + random.nextInt(SENDERS);
        final String receiver = "chaos-q-" + random.nextInt(RECEIVERS);
        history.record(process, name(), "invoke", "emit", sender, receiver, history.now());
        String outcome;
        try
        {
            client.ask("seqsender", sender, "{\"op\":\"emit\",\"to\":\"" + receiver + "\"}").join();
            outcome = "ok";
        }
        catch (final RuntimeException ex)
        {
            outcome = classify(ex);
            pause(50);
        }
        history.record(process, name(), outcome, "emit", sender, receiver, history.now());
        count("emit:" + outcome);
    }

    public List<Violation> check(final ChaosCluster cluster, final Duration deadline)
    {
        final long until = System.nanoTime() + deadline.toNanos();
        List<Violation> violations = compare();
        while (!violations.isEmpty() && System.nanoTime() < until && violations.stream()
            .noneMatch(v -> v.description().startsWith("anomaly") || v.description().startsWith("phantom")))
        {
            pause(500);
            violations = compare();
        }
        return violations;
    }

    private List<Violation> compare()
    {
        final List<Violation> violations = new ArrayList<>();
        final JsonNode[] senders = new JsonNode[SENDERS];
        for (int s = 0; s < SENDERS; s++)
        {
            senders[s] = ask("seqsender", "chaos-s-" + s);
            if (senders[s] == null)
            {
                violations.add(new Violation(name(), "sender chaos-s-" + s + " unreadable"));
                return violations;
            }
        }
        for (int q = 0; q < RECEIVERS; q++)
        {
            final String receiver = "chaos-q-" + q;
            final JsonNode state = ask("seqreceiver", receiver);
            if (state == null)
            {
                violations.add(new Violation(name(), "receiver " + receiver + " unreadable"));
                return violations;
            }
            for (final JsonNode anomaly : state.get("anomalies"))
            {
                violations.add(new Violation(name(), "anomaly at " + receiver + ": " + anomaly.asText()));
            }
            for (int s = 0; s < SENDERS; s++)
            {
                final String sender = "chaos-s-" + s;
                final long sent = senders[s].get("sent").path(receiver).asLong(0);
                final long seen = state.get("last").path(sender).asLong(0);
                if (seen < sent)
                {
                    violations.add(new Violation(name(), "lost: " + receiver + " has seen " + seen + " of the " + sent +
                        " messages " + sender + " committed"));
                }
                else if (seen > sent)
                {
                    violations.add(new Violation(name(), "phantom: " + receiver + " has seen " + seen +
                        " messages from " + sender + " which committed only " + sent));
                }
            }
        }
        return violations;
    }

    private JsonNode ask(final String type, final String key)
    {
        try
        {
            return Codecs.parseJson(client.ask(type, key, "{\"op\":\"get\"}").join().getBytes(StandardCharsets.UTF_8));
        }
        catch (final RuntimeException ex)
        {
            return null;
        }
    }
}
