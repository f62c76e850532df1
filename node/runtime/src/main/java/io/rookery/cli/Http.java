package io.rookery.cli;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

import com.fasterxml.jackson.databind.JsonNode;
import io.rookery.api.Codecs;

/**
 * The small HTTP client the command line talks to nodes with.
 */
final class Http
{
    private final HttpClient client;
    private final Duration timeout;
    private final String token;
    private final String scheme;

    Http(final Duration timeout, final Executor executor)
    {
        this(timeout, executor, token(), caFile());
    }

    /**
     * @param token bearer token to send, or null for none.
     * @param ca    PEM CA certificate to trust over HTTPS, or null for plain HTTP.
     */
    Http(final Duration timeout, final Executor executor, final String token, final java.nio.file.Path ca)
    {
        final HttpClient.Builder builder = HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(3))
            .version(HttpClient.Version.HTTP_1_1);
        if (ca != null)
        {
            builder.sslContext(io.rookery.node.Tls.client(ca));
        }
        this.scheme = ca != null ? "https://" : "http://";
        if (executor != null)
        {
            builder.executor(executor);
        }
        this.client = builder.build();
        this.timeout = timeout;
        this.token = token;
    }

    /**
     * @return the CA the command line trusts, {@code ROOKERY_CA_FILE}: set, it speaks HTTPS.
     */
    static java.nio.file.Path caFile()
    {
        final String file = System.getenv("ROOKERY_CA_FILE");
        return file == null || file.isBlank() ? null : java.nio.file.Path.of(file);
    }

    /**
     * @return the bearer token the command line sends: {@code ROOKERY_TOKEN}, else the first line
     * of the file {@code ROOKERY_TOKEN_FILE} names; null for none.
     */
    static String token()
    {
        final String direct = System.getenv("ROOKERY_TOKEN");
        if (direct != null && !direct.isBlank())
        {
            return direct.strip();
        }
        final String file = System.getenv("ROOKERY_TOKEN_FILE");
        if (file != null && !file.isBlank())
        {
            try
            {
                return java.nio.file.Files.readString(java.nio.file.Path.of(file)).strip();
            }
            catch (final IOException ex)
            {
                throw new IllegalArgumentException("cannot read ROOKERY_TOKEN_FILE " + file + ": " + ex.getMessage());
            }
        }
        return null;
    }

    private HttpRequest.Builder request(final String endpoint, final String path)
    {
        final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(scheme + endpoint + path))
            .timeout(timeout);
        if (token != null)
        {
            request.header("Authorization", "Bearer " + token);
        }
        return request;
    }

    record Reply(int status, String body)
    {
        JsonNode json()
        {
            return Codecs.parseJson(body.getBytes(StandardCharsets.UTF_8));
        }
    }

    Reply get(final String endpoint, final String path) throws IOException, InterruptedException
    {
        final HttpResponse<String> response = client.send(
            request(endpoint, path).GET().build(),
            HttpResponse.BodyHandlers.ofString());
        return new Reply(response.statusCode(), response.body());
    }

    Reply delete(final String endpoint, final String path) throws IOException, InterruptedException
    {
        final HttpResponse<String> response = client.send(
            request(endpoint, path).DELETE().build(),
            HttpResponse.BodyHandlers.ofString());
        return new Reply(response.statusCode(), response.body());
    }

    Reply post(final String endpoint, final String path, final String body) throws IOException, InterruptedException
    {
        return postAsync(endpoint, path, body).join();
    }

    Reply postBytes(final String endpoint, final String path, final byte[] body, final String contentType)
        throws IOException, InterruptedException
    {
        final HttpResponse<String> response = client.send(request(endpoint, path)
            .header("Content-Type", contentType)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(response.statusCode(), response.body());
    }

    CompletableFuture<Reply> postAsync(final String endpoint, final String path, final String body)
    {
        return postAsync(endpoint, path, body, null);
    }

    CompletableFuture<Reply> postAsync(
        final String endpoint, final String path, final String body, final String idempotencyKey)
    {
        final HttpRequest.Builder request = request(endpoint, path)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
        if (idempotencyKey != null)
        {
            request.header("Idempotency-Key", idempotencyKey);
        }
        return client.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString())
            .thenApply(r -> new Reply(r.statusCode(), r.body()));
    }

    static String agentPath(final String type, final String key)
    {
        return "/agents/" + URLEncoder.encode(type, StandardCharsets.UTF_8) + "/" +
            URLEncoder.encode(key, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
