package io.rookery.node;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

import com.fasterxml.jackson.databind.JsonNode;
import io.rookery.api.AgentId;
import io.rookery.api.Codecs;
import io.rookery.client.RookeryClient;
import io.rookery.client.RookeryException;
import io.rookery.testing.TestCluster;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Thousands of transfers between accounts in every group, through the Java client, while the
 * busiest leader is killed and restarted. Money is conserved, no balance goes
 * negative, and every acknowledged transfer is applied exactly once: each account ends with
 * exactly its deposit plus the credits minus the debits of the acknowledged transfers.
 */
@Timeout(400)
class BankIT
{
    private static final int ACCOUNTS = 100;
    private static final int TRANSFERS = 2000;
    private static final long DEPOSIT = 1000;
    /** The transfers at which the busiest leader is killed, one per round. */
    private static final int[] KILL_AT = {300, 1100};

    @AutoClose
    private TestCluster cluster;

    @Test
    void transfersConserveMoneyAndApplyExactlyOnceAcrossLeaderCrashes() throws Exception
    {
        cluster = TestCluster.start(3, ctx -> ctx.requestTimeout(Duration.ofSeconds(5)));
        cluster.awaitSettled(Duration.ofSeconds(60));
        final List<String> endpoints = cluster.running().stream().map(RookeryNode::httpEndpoint).toList();
        final RookeryClient client = RookeryClient.connect(endpoints, Duration.ofSeconds(10));

        final Set<Long> groups = new HashSet<>();
        for (int i = 0; i < ACCOUNTS; i++)
        {
            final int partition = cluster.node(0).partitionOf(AgentId.of("account", "acct-" + i));
            groups.add(cluster.servingLeader(partition).servingGroup(partition));
            untilDefinitive(client, "acct-" + i, "{\"op\":\"deposit\",\"amount\":" + DEPOSIT + "}", "deposit-" + i);
        }
        assertThat(groups).as("accounts in every group, so transfers cross groups and nodes").hasSize(3);

        final AtomicLongArray expected = new AtomicLongArray(ACCOUNTS);
        for (int i = 0; i < ACCOUNTS; i++)
        {
            expected.set(i, DEPOSIT);
        }
        final AtomicInteger acknowledged = new AtomicInteger();
        final AtomicInteger refused = new AtomicInteger();
        final Random random = new Random(42);
        final Semaphore inFlight = new Semaphore(32);
        final List<CompletableFuture<Void>> transfers = new ArrayList<>();

        // Own threads: the common pool may have only two, which would serialise the 32 clients.
        final ExecutorService clients = Executors.newFixedThreadPool(33);
        final CountDownLatch[] underLoad = {new CountDownLatch(1), new CountDownLatch(1)};
        final CountDownLatch[] killed = {new CountDownLatch(1), new CountDownLatch(1)};
        final CompletableFuture<Void> chaos = CompletableFuture.runAsync(
            () -> killAndRestartBusyLeaders(underLoad, killed, acknowledged), clients);
        for (int t = 0; t < TRANSFERS; t++)
        {
            final int round = t == KILL_AT[0] ? 0 : t == KILL_AT[1] ? 1 : -1;
            if (round >= 0)
            {
                // The kill lands while transfers are in flight, however fast or slow this machine is.
                underLoad[round].countDown();
                assertThat(killed[round].await(120, TimeUnit.SECONDS)).as("kill round %d", round).isTrue();
            }
            final int from = random.nextInt(ACCOUNTS);
            final int to = (from + 1 + random.nextInt(ACCOUNTS - 1)) % ACCOUNTS;
            final long amount = 1 + random.nextInt(60);
            final String id = "t" + t;
            inFlight.acquire();
            transfers.add(CompletableFuture.runAsync(() ->
            {
                try
                {
                    final String message = "{\"op\":\"transfer\",\"to\":\"acct-" + to + "\",\"amount\":" + amount +
                        ",\"transferId\":\"" + id + "\"}";
                    if (untilDefinitive(client, "acct-" + from, message, id))
                    {
                        expected.addAndGet(from, -amount);
                        expected.addAndGet(to, amount);
                        acknowledged.incrementAndGet();
                    }
                    else
                    {
                        refused.incrementAndGet();
                    }
                }
                finally
                {
                    inFlight.release();
                }
            }, clients));
        }
        CompletableFuture.allOf(transfers.toArray(CompletableFuture[]::new)).join();
        chaos.join();
        clients.shutdown();
        assertThat(acknowledged.get()).as("acknowledged transfers").isGreaterThan(TRANSFERS / 2);

        cluster.await("every credit confirmed (nothing in flight)", Duration.ofSeconds(120), () ->
        {
            for (int i = 0; i < ACCOUNTS; i++)
            {
                final JsonNode balance = balance(client, i);
                if (balance == null || balance.get("inFlight").asLong() != 0)
                {
                    return false;
                }
            }
            return true;
        });
        long total = 0;
        for (int i = 0; i < ACCOUNTS; i++)
        {
            final long actual = balance(client, i).get("balance").asLong();
            assertThat(actual).as("balance of acct-%d never negative", i).isGreaterThanOrEqualTo(0);
            assertThat(actual).as("acct-%d: deposit + acknowledged credits - acknowledged debits", i)
                .isEqualTo(expected.get(i));
            total += actual;
        }
        assertThat(total).as("money is conserved").isEqualTo(ACCOUNTS * DEPOSIT);
    }

    /**
     * Retries a request with its idempotency key until the cluster gives a definitive answer.
     *
     * @return true when applied, false when the account refused it (insufficient funds).
     */
    private static boolean untilDefinitive(
        final RookeryClient client, final String account, final String message, final String idempotencyKey)
    {
        for (int attempt = 0; attempt < 200; attempt++)
        {
            try
            {
                client.ask("account", account, message, idempotencyKey).join();
                return true;
            }
            catch (final RuntimeException ex)
            {
                final Throwable cause = ex.getCause() != null ? ex.getCause() : ex;
                if (cause instanceof RookeryException rookery && !rookery.retryable())
                {
                    if ("AGENT_ERROR".equals(rookery.status()) && rookery.getMessage().contains("insufficient funds"))
                    {
                        return false;
                    }
                    throw new AssertionError("unexpected answer to " + message + ": " + rookery.getMessage());
                }
                pause(100);
            }
        }
        throw new AssertionError("no definitive answer to " + message);
    }

    private static JsonNode balance(final RookeryClient client, final int account)
    {
        try
        {
            final String reply = client.ask("account", "acct-" + account, "{\"op\":\"balance\"}").join();
            return Codecs.parseJson(reply.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        catch (final RuntimeException ex)
        {
            return null;
        }
    }

    /**
     * Two rounds, each paced by the transfers rather than the clock: once the load reaches its
     * mark, the busiest leader is killed; it comes back once its partitions have new leaders and
     * transfers were acknowledged without it.
     */
    private void killAndRestartBusyLeaders(
        final CountDownLatch[] underLoad, final CountDownLatch[] killed, final AtomicInteger acknowledged)
    {
        for (int round = 0; round < underLoad.length; round++)
        {
            try
            {
                assertThat(underLoad[round].await(300, TimeUnit.SECONDS)).as("load for round %d", round).isTrue();
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                return;
            }
            final RookeryNode busiest = cluster.busiestLeader();
            final int index = cluster.indexOf(busiest.nodeId());
            cluster.killNode(index);
            final int ackedAtKill = acknowledged.get();
            killed[round].countDown();
            cluster.awaitAllPartitionsLed(Duration.ofSeconds(60));
            cluster.await("transfers acknowledged while " + busiest.nodeId() + " is down", Duration.ofSeconds(120),
                () -> acknowledged.get() >= ackedAtKill + 50);
            cluster.restartNode(index);
            cluster.awaitSettled(Duration.ofSeconds(60));
        }
    }

    private static void pause(final long millis)
    {
        try
        {
            Thread.sleep(millis);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
