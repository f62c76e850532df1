package io.rookery.node;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;

import io.rookery.api.Codecs;
import io.rookery.cli.LocalCertificates;
import io.rookery.client.CaTrust;
import io.rookery.client.RookeryClient;
import io.rookery.testing.TestCluster;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Three nodes with everything on: HTTPS and Raft's mutual TLS with certificates of their own CA,
 * tokens, and gossip sealed with a cluster secret. The cluster forms and commits, the Java client
 * speaks it, plain HTTP gets nothing, nodes call each other over HTTPS, and a renewed certificate
 * is served to new connections without a restart.
 */
@Timeout(240)
class HttpTlsIT
{
    private static final String ADMIN = "admin-" + "a".repeat(32);
    private static final String CLIENT = "client-" + "c".repeat(32);

    @TempDir
    Path dir;

    @AutoClose
    private TestCluster cluster;

    @Test
    void theClusterSpeaksHttpsOnlyAndTakesARenewedCertificate() throws Exception
    {
        final LocalCertificates first = LocalCertificates.create(dir.resolve("first"), 2);
        final Path cert = dir.resolve("node.pem");
        final Path key = dir.resolve("node-key.pem");
        Files.copy(first.cert(), cert);
        Files.copy(first.key(), key);
        final Path tokens = dir.resolve("tokens");
        Files.writeString(tokens, "admin " + ADMIN + "\nclient " + CLIENT + "\n");
        final Path secret = dir.resolve("cluster.secret");
        Files.writeString(secret, "a-cluster-secret-of-some-length\n");
        cluster = TestCluster.start(3, ctx -> ctx.tls(cert, key, first.ca()).tokenFile(tokens)
            .clusterSecretFile(secret));
        cluster.awaitSettled(Duration.ofSeconds(60));
        final String endpoint = cluster.node(0).httpEndpoint();

        try (RookeryClient client = RookeryClient.connect(java.util.List.of(endpoint), Duration.ofSeconds(10))
            .withTls(first.ca()).withToken(CLIENT))
        {
            assertThat(client.ask("counter", "tls", "{\"op\":\"increment\"}").join()).contains("\"value\":1");
        }

        final HttpClient plain = HttpClient.newHttpClient();
        assertThatThrownBy(() -> plain.send(HttpRequest.newBuilder(URI.create("http://" + endpoint + "/health"))
            .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()))
            .as("plain HTTP to the HTTPS port").isInstanceOf(IOException.class);

        final HttpClient trusting = HttpClient.newBuilder().sslContext(CaTrust.sslContext(first.ca())).build();
        final HttpResponse<String> deployments = trusting.send(HttpRequest.newBuilder(
                URI.create("https://" + endpoint + "/admin/deployments")).header("Authorization", "Bearer " + ADMIN)
            .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(deployments.statusCode()).isEqualTo(200);
        assertThat(Codecs.parseJson(deployments.body().getBytes(StandardCharsets.UTF_8)).path("nodes").size())
            .as("every peer answered over HTTPS").isEqualTo(3);
        assertThat(deployments.body()).doesNotContain("did not answer");

        // Renewed under a new CA: new connections get the new certificate, no restart.
        final LocalCertificates second = LocalCertificates.create(dir.resolve("second"), 2);
        Files.copy(second.key(), key, StandardCopyOption.REPLACE_EXISTING);
        Files.copy(second.cert(), cert, StandardCopyOption.REPLACE_EXISTING);
        final HttpClient renewed = HttpClient.newBuilder().sslContext(CaTrust.sslContext(second.ca())).build();
        cluster.await("the renewed certificate is served", Duration.ofSeconds(30), () ->
        {
            try
            {
                return renewed.send(HttpRequest.newBuilder(URI.create("https://" + endpoint + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
            }
            catch (final IOException ex)
            {
                return false;
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                return false;
            }
        });
        final HttpClient stale = HttpClient.newBuilder().sslContext(CaTrust.sslContext(first.ca())).build();
        assertThatThrownBy(() -> stale.send(HttpRequest.newBuilder(URI.create("https://" + endpoint + "/health"))
            .build(), HttpResponse.BodyHandlers.ofString())).isInstanceOf(IOException.class);
    }
}
