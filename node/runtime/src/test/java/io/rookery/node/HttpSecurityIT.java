package io.rookery.node;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import io.rookery.api.Codecs;
import io.rookery.testing.TestCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The HTTP API of a three-node cluster started with a token file: probes open, agent traffic for
 * client and admin tokens, everything else for admin tokens only, nodes calling each other with
 * their own token, a cross-site form post refused for its content type, and a client that never
 * finishes its headers cut off.
 */
@Timeout(240)
class HttpSecurityIT
{
    private static final String ADMIN = "admin-" + "a".repeat(32);
    private static final String CLIENT = "client-" + "c".repeat(32);
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    static Path dir;
    private static Path tokens;
    private static TestCluster cluster;

    @BeforeAll
    static void start() throws Exception
    {
        // Read once by the JDK server when the first one is made: this class runs in its own JVM.
        System.setProperty("sun.net.httpserver.maxReqTime", "2");
        tokens = dir.resolve("tokens");
        Files.writeString(tokens, "admin " + ADMIN + "\nclient " + CLIENT + "\n");
        cluster = TestCluster.start(3, ctx -> ctx.tokenFile(tokens));
        cluster.awaitSettled(Duration.ofSeconds(60));
    }

    @AfterAll
    static void stop()
    {
        if (cluster != null)
        {
            cluster.close();
        }
    }

    @Test
    void eachRoleReachesWhatItMayAndNoMore() throws Exception
    {
        assertThat(send("POST", "/agents/counter/sec", null).statusCode()).isEqualTo(401);
        assertThat(send("GET", "/cluster", null).statusCode()).isEqualTo(401);
        assertThat(send("POST", "/admin/shutdown", null).statusCode()).isEqualTo(401);
        final HttpResponse<String> unknown = send("GET", "/agents/counter/sec", "not-a-token-at-all-123");
        assertThat(unknown.statusCode()).isEqualTo(401);
        assertThat(unknown.headers().firstValue("WWW-Authenticate")).contains("Bearer");
        assertThat(unknown.body()).doesNotContain("not-a-token").doesNotContain(CLIENT).doesNotContain(ADMIN);

        assertThat(send("POST", "/agents/counter/sec", CLIENT).statusCode()).isEqualTo(200);
        assertThat(send("GET", "/agents/counter/sec", CLIENT).body()).contains("\"state\":1");
        assertThat(send("GET", "/cluster", CLIENT).statusCode()).isEqualTo(403);
        assertThat(send("POST", "/admin/drain", CLIENT).statusCode()).isEqualTo(403);
        assertThat(send("GET", "/admin/deployments", CLIENT).statusCode()).isEqualTo(403);

        assertThat(send("POST", "/agents/counter/sec", ADMIN).statusCode()).isEqualTo(200);
        // The full view asks every peer, and the deployments view too: the nodes' own token works.
        final HttpResponse<String> view = send("GET", "/cluster", ADMIN);
        assertThat(view.statusCode()).isEqualTo(200);
        final HttpResponse<String> deployments = send("GET", "/admin/deployments", ADMIN);
        assertThat(deployments.statusCode()).isEqualTo(200);
        assertThat(Codecs.parseJson(deployments.body().getBytes(StandardCharsets.UTF_8)).path("nodes").size())
            .as("every node answered its peer").isEqualTo(3);
        assertThat(deployments.body()).doesNotContain("did not answer");

        assertThat(send("GET", "/health", null).statusCode()).isEqualTo(200);
        assertThat(send("GET", "/ready", null).statusCode()).isEqualTo(200);
        final HttpResponse<String> metrics = send("GET", "/metrics", null);
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("rookery_http_auth_failures_total{reason=\"unauthenticated\"}")
            .contains("rookery_http_auth_failures_total{reason=\"forbidden\"}");
    }

    @Test
    void aCrossSiteFormPostIsRefusedForItsContentType() throws Exception
    {
        final HttpResponse<String> form = HTTP.send(HttpRequest.newBuilder(uri("/agents/counter/csrf"))
            .header("Authorization", "Bearer " + CLIENT)
            .header("Content-Type", "text/plain")
            .POST(HttpRequest.BodyPublishers.ofString("{\"op\":\"increment\"}")).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(form.statusCode()).isEqualTo(415);
        assertThat(form.body()).contains("UNSUPPORTED_MEDIA_TYPE");
        assertThat(send("GET", "/agents/counter/csrf", CLIENT).body()).contains("\"exists\":false");
    }

    @Test
    void aRotatedTokenWorksAndTheOldOneStops() throws Exception
    {
        final String rotated = "client-" + "r".repeat(32);
        Files.writeString(tokens, "admin " + ADMIN + "\nclient " + rotated + "\n");
        Files.setLastModifiedTime(tokens, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis()
            + 60_000));
        cluster.await("the rotated token is taken", Duration.ofSeconds(10),
            () -> sendQuietly("/agents/counter/rotated", rotated) == 200);
        assertThat(send("GET", "/agents/counter/rotated", CLIENT).statusCode()).isEqualTo(401);
        Files.writeString(tokens, "admin " + ADMIN + "\nclient " + CLIENT + "\n");
        Files.setLastModifiedTime(tokens, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis()
            + 120_000));
        cluster.await("the first token is back", Duration.ofSeconds(10),
            () -> sendQuietly("/agents/counter/rotated", CLIENT) == 200);
    }

    @Test
    void aClientThatNeverFinishesItsHeadersIsCutOff() throws Exception
    {
        final String[] hostPort = cluster.node(0).httpEndpoint().split(":");
        try (Socket socket = new Socket(hostPort[0], Integer.parseInt(hostPort[1])))
        {
            socket.setSoTimeout(30_000);
            final OutputStream out = socket.getOutputStream();
            out.write("POST /agents/counter/slow HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            final InputStream in = socket.getInputStream();
            final long startNs = System.nanoTime();
            // The server closes the connection once the header time (2 s here) is over.
            assertThat(in.read()).isEqualTo(-1);
            assertThat(Duration.ofNanos(System.nanoTime() - startNs)).isLessThan(Duration.ofSeconds(25));
        }
    }

    private static int sendQuietly(final String path, final String token)
    {
        try
        {
            return send("GET", path, token).statusCode();
        }
        catch (final Exception ex)
        {
            return -1;
        }
    }

    private static HttpResponse<String> send(final String method, final String path, final String token)
        throws Exception
    {
        final HttpRequest.Builder request = HttpRequest.newBuilder(uri(path));
        if (token != null)
        {
            request.header("Authorization", "Bearer " + token);
        }
        if (method.equals("POST"))
        {
            request.header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(path.startsWith("/agents/") ? "{\"op\":\"increment\"}" : ""));
        }
        else
        {
            request.GET();
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static URI uri(final String path)
    {
        return URI.create("http://" + cluster.node(0).httpEndpoint() + path);
    }
}
