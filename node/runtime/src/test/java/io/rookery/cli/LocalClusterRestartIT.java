package io.rookery.cli;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What {@code rookery local} does with a node process that exits by itself, with real node
 * processes: under on-failure a process killed from outside (SIGKILL, as a user's {@code kill -9}
 * or the OOM killer) is started again on its data and answers again; one stopped through the
 * cluster stays down; a node that asks to be restarted is started again at once.
 */
@Timeout(240)
class LocalClusterRestartIT
{
    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    void aKilledNodeIsStartedAgainAndOneStoppedOnPurposeStaysDown() throws Exception
    {
        try (LocalCluster cluster = LocalCluster.builder().nodes(1).basePort(freeBlock())
            .directory(dir.resolve("cluster"), true).restart(LocalCluster.Restart.ON_FAILURE, Duration.ofMillis(500))
            .build().start())
        {
            cluster.awaitReady(Duration.ofMinutes(2));
            assertThat(post(cluster, "/agents/counter/c", "{\"op\":\"increment\"}")).isEqualTo(200);

            final Process first = cluster.process(0);
            first.destroyForcibly();
            await("the killed node is started again", () -> cluster.process(0) != first);
            cluster.awaitReady(Duration.ofMinutes(2));
            assertThat(get(cluster, "/agents/counter/c")).as("state survives the crash").contains("\"state\":1");

            final Process second = cluster.process(0);
            assertThat(post(cluster, "/admin/shutdown?restart=true", "")).isEqualTo(202);
            await("the node that asked to be restarted is started again", () -> cluster.process(0) != second);
            cluster.awaitReady(Duration.ofMinutes(2));

            cluster.killNode(0);
            LockSupport.parkNanos(Duration.ofSeconds(2).toNanos());
            assertThat(cluster.process(0)).as("a node killed through the cluster stays down").isNull();
        }
    }

    private static int freeBlock() throws IOException
    {
        for (int attempt = 0; ; attempt++)
        {
            final int base;
            try (ServerSocket probe = new ServerSocket(0))
            {
                base = probe.getLocalPort() - probe.getLocalPort() % 10;
            }
            if (base + 3 <= 65535 && free(base) && free(base + 1) && free(base + 3))
            {
                return base;
            }
            assertThat(attempt).isLessThan(50);
        }
    }

    private static boolean free(final int port)
    {
        try (ServerSocket socket = new ServerSocket(port))
        {
            return true;
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    private int post(final LocalCluster cluster, final String path, final String body) throws Exception
    {
        return http.send(HttpRequest.newBuilder(URI.create("http://" + cluster.httpEndpoint(0) + path))
            .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
            .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString())
            .statusCode();
    }

    private String get(final LocalCluster cluster, final String path) throws Exception
    {
        return http.send(HttpRequest.newBuilder(URI.create("http://" + cluster.httpEndpoint(0) + path))
            .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private static void await(final String what, final BooleanSupplier condition)
    {
        final long deadlineNs = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.getAsBoolean())
        {
            assertThat(System.nanoTime() - deadlineNs).as(what).isNegative();
            LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
        }
    }
}
