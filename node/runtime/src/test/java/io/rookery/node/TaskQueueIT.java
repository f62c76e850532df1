package io.rookery.node;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import io.rookery.api.Codecs;
import io.rookery.client.RookeryClient;
import io.rookery.examples.TaskQueueAgent;
import io.rookery.testing.TestCluster;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The persistent task queue: priorities, least-loaded assignment, completion, cancellation,
 * re-assignment when a worker stops heartbeating, and tasks surviving a restart of every node.
 */
@Timeout(300)
class TaskQueueIT
{
    @AutoClose
    private TestCluster cluster;

    @Test
    void tasksAreAssignedByPriorityToTheLeastLoadedWorkerAndSurviveAFullRestart()
    {
        cluster = TestCluster.start(3, ctx -> { });
        cluster.awaitSettled(Duration.ofSeconds(60));
        RookeryClient client = client();

        ask(client, "taskqueue", "jobs", "{\"op\":\"submit\",\"id\":\"low\",\"priority\":1,\"payload\":\"l\"}");
        ask(client, "taskqueue", "jobs", "{\"op\":\"submit\",\"id\":\"high\",\"priority\":9,\"payload\":\"h\"}");
        ask(client, "taskqueue", "jobs", "{\"op\":\"submit\",\"id\":\"mid\",\"priority\":5,\"payload\":\"m\"}");
        ask(client, "taskqueue", "jobs", "{\"op\":\"submit\",\"id\":\"doomed\",\"priority\":0}");
        ask(client, "taskqueue", "jobs", "{\"op\":\"cancel\",\"id\":\"doomed\"}");
        assertThat(status(client).get("pending").has("doomed")).isFalse();

        // One worker that takes one task at a time gets them in priority order.
        ask(client, "taskqueue", "jobs", "{\"op\":\"register\",\"worker\":\"w1\",\"capacity\":1}");
        awaitWorkerTasks(client, "w1", List.of("high"));
        ask(client, "worker", "w1", "{\"op\":\"complete\",\"id\":\"high\"}");
        awaitWorkerTasks(client, "w1", List.of("mid"));

        // A second worker, with no limit, takes what w1 cannot.
        ask(client, "taskqueue", "jobs", "{\"op\":\"register\",\"worker\":\"w2\"}");
        awaitWorkerTasks(client, "w2", List.of("low"));

        // Every node stops, then starts again: the queue and the workers' tasks are still there.
        for (int i = 0; i < 3; i++)
        {
            cluster.stopNode(i);
        }
        for (int i = 0; i < 3; i++)
        {
            final int index = i;
            new Thread(() -> cluster.restartNode(index)).start();
        }
        cluster.await("all nodes back", Duration.ofSeconds(120), () -> cluster.running().size() == 3);
        cluster.awaitSettled(Duration.ofSeconds(60));
        client = client();
        // The restart took longer than a worker lease, so the tasks may have gone back to the
        // queue; what matters is that none was lost and the completed one stays completed.
        final JsonNode status = status(client);
        final List<String> tasks = new ArrayList<>();
        status.get("pending").fieldNames().forEachRemaining(tasks::add);
        status.get("assigned").fieldNames().forEachRemaining(tasks::add);
        assertThat(tasks).containsExactlyInAnyOrder("mid", "low");

        final RookeryClient after = client;
        ask(after, "taskqueue", "jobs", "{\"op\":\"register\",\"worker\":\"w3\"}");
        cluster.await("the surviving tasks are assigned again", Duration.ofSeconds(30), () ->
        {
            final JsonNode now = status(after);
            return now.get("pending").size() == 0 && now.get("assigned").size() == 2;
        });
    }

    @Test
    void theTasksOfAWorkerThatStopsHeartbeatingAreReassigned()
    {
        cluster = TestCluster.start(3, ctx -> { });
        cluster.awaitSettled(Duration.ofSeconds(60));
        final RookeryClient client = client();
        ask(client, "taskqueue", "q2", "{\"op\":\"register\",\"worker\":\"alive\"}");
        ask(client, "taskqueue", "q2", "{\"op\":\"register\",\"worker\":\"dying\"}");
        for (int i = 0; i < 6; i++)
        {
            ask(client, "taskqueue", "q2", "{\"op\":\"submit\",\"id\":\"job-" + i + "\"}");
        }
        final JsonNode before = status(client, "q2");
        assertThat(before.get("workers").get("dying").get("tasks").size()).isEqualTo(3);

        // "alive" keeps heartbeating, as a worker process does, on its own thread at a tenth of the
        // lease; "dying" (its process, or its node, is gone) does not.
        final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor();
        try
        {
            worker.scheduleWithFixedDelay(() ->
            {
                try
                {
                    ask(client, "taskqueue", "q2", "{\"op\":\"heartbeat\",\"worker\":\"alive\"}");
                }
                catch (final RuntimeException ex)
                {
                    // A heartbeat that got no answer is followed by the next, as in a worker process.
                }
            }, 0, TaskQueueAgent.LEASE.toMillis() / 10, TimeUnit.MILLISECONDS);
            cluster.await("the dying worker's tasks are reassigned to the live one", Duration.ofSeconds(60), () ->
            {
                final JsonNode workers = status(client, "q2").get("workers");
                return !workers.has("dying") && workers.has("alive") && workers.get("alive").get("tasks").size() == 6;
            });
            assertThat(status(client, "q2").get("reassigned").asLong()).isEqualTo(3);
            assertThat(workerTasks(client, "alive")).hasSize(6);
            cluster.await("the dead worker's record is cleared", Duration.ofSeconds(30),
                () -> workerTasks(client, "dying").isEmpty());
        }
        finally
        {
            worker.shutdownNow();
        }
    }

    private RookeryClient client()
    {
        return RookeryClient.connect(cluster.running().stream().map(RookeryNode::httpEndpoint).toList(),
            Duration.ofSeconds(10));
    }

    private void awaitWorkerTasks(final RookeryClient client, final String worker, final List<String> expected)
    {
        cluster.await(worker + " holds " + expected, Duration.ofSeconds(30),
            () -> workerTasks(client, worker).equals(expected));
    }

    private static List<String> workerTasks(final RookeryClient client, final String worker)
    {
        final JsonNode state = Codecs.parseJson(ask(client, "worker", worker, "{\"op\":\"list\"}")
            .getBytes(StandardCharsets.UTF_8));
        final List<String> tasks = new ArrayList<>();
        state.get("tasks").fieldNames().forEachRemaining(tasks::add);
        return tasks;
    }

    private static JsonNode status(final RookeryClient client)
    {
        return status(client, "jobs");
    }

    private static JsonNode status(final RookeryClient client, final String queue)
    {
        final String status = ask(client, "taskqueue", queue, "{\"op\":\"status\"}");
        return Codecs.parseJson(status.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Asks with retries; a message that changes state carries an idempotency key so a retry
     * never applies it twice, a query does not (it must see fresh state).
     */
    private static String ask(final RookeryClient client, final String type, final String key, final String message)
    {
        final boolean query = message.contains("\"status\"") || message.contains("\"list\"") ||
            message.contains("\"heartbeat\"");
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return client.ask(type, key, message, query ? null : type + "/" + key + "/" + message).join();
            }
            catch (final RuntimeException ex)
            {
                if (attempt >= 20)
                {
                    throw ex;
                }
                pause(250);
            }
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
