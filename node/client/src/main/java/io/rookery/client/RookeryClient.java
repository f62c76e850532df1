package io.rookery.client;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import io.rookery.api.Codecs;

/**
 * Talks to a Rookery cluster from outside, over HTTP, through any of its nodes: each request goes
 * to the next node in turn, and to the one after when a node cannot be reached. The node that
 * receives a request forwards it to the leader of the agent's partition.
 * <p>
 * Asks and tells wait for the agent's turn to commit. A request with an idempotency key is
 * retried by the client itself, on the next node, when the answer leaves its outcome open (503,
 * 504) or the connection fails, until the client's timeout: the cluster applies it once. A request
 * without a key is only sent again when it provably never left (the node refused the connection);
 * if it fails otherwise it may or may not have taken effect, and resending it is the caller's call.
 */
public final class RookeryClient implements AutoCloseable
{
    private final List<String> endpoints;
    private final HttpClient http;
    private final Duration timeout;
    private static final long RETRY_PAUSE_MAX_NS = TimeUnit.MILLISECONDS.toNanos(200);
    private static final long MAX_SAFE_ATTEMPT_NS = TimeUnit.SECONDS.toNanos(12);
    private static final long ATTEMPT_GRACE_NS = TimeUnit.SECONDS.toNanos(1);

    private final AtomicInteger next = new AtomicInteger();
    private final String token;
    private final javax.net.ssl.SSLContext tls;

    private RookeryClient(final List<String> endpoints, final Duration timeout)
    {
        this(endpoints, timeout, null);
    }

    private RookeryClient(final List<String> endpoints, final Duration timeout, final String token)
    {
        this(endpoints, timeout, token, null);
    }

    private RookeryClient(
        final List<String> endpoints, final Duration timeout, final String token, final javax.net.ssl.SSLContext tls)
    {
        this.token = token;
        this.tls = tls;
        if (endpoints.isEmpty())
        {
            throw new IllegalArgumentException("at least one node endpoint (host:port) is needed");
        }
        this.endpoints = List.copyOf(endpoints);
        this.timeout = timeout;
        final HttpClient.Builder builder = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2));
        if (tls != null)
        {
            builder.sslContext(tls);
        }
        this.http = builder.build();
    }

    /**
     * @param endpoints HTTP {@code host:port} of one or more nodes.
     * @return a client with a 15 s request timeout.
     */
    public static RookeryClient connect(final String... endpoints)
    {
        return new RookeryClient(List.of(endpoints), Duration.ofSeconds(15));
    }

    /**
     * @param endpoints HTTP {@code host:port} of one or more nodes.
     * @param timeout   per request.
     * @return a client.
     */
    public static RookeryClient connect(final List<String> endpoints, final Duration timeout)
    {
        return new RookeryClient(endpoints, timeout);
    }

    /**
     * @param bearerToken a token of the cluster's token file ({@code client} role for agent traffic).
     * @return a client like this one that sends {@code Authorization: Bearer <token>} with every request.
     */
    public RookeryClient withToken(final String bearerToken)
    {
        return new RookeryClient(endpoints, timeout, bearerToken, tls);
    }

    /**
     * @param caCertificates PEM file of the CA that signed the nodes' HTTPS certificates.
     * @return a client like this one that speaks HTTPS and trusts that CA only.
     */
    public RookeryClient withTls(final java.nio.file.Path caCertificates)
    {
        return new RookeryClient(endpoints, timeout, token, CaTrust.sslContext(caCertificates));
    }

    /**
     * Sends a message to an agent and returns its reply.
     *
     * @param type    agent type.
     * @param key     agent key.
     * @param message JSON message.
     * @return the reply (JSON).
     */
    public CompletableFuture<String> ask(final String type, final String key, final String message)
    {
        return ask(type, key, message, null);
    }

    /**
     * Sends a message to an agent and returns its reply; a retry with the same key returns the
     * first reply and does not apply the message again.
     *
     * @param type           agent type.
     * @param key            agent key.
     * @param message        JSON message.
     * @param idempotencyKey identifies the request across retries, or null.
     * @return the reply (JSON).
     */
    public CompletableFuture<String> ask(
        final String type, final String key, final String message, final String idempotencyKey)
    {
        return send(agentPath(type, key), message, idempotencyKey);
    }

    /**
     * Delivers a message to an agent and completes once its turn committed, without its reply.
     *
     * @param type    agent type.
     * @param key     agent key.
     * @param message JSON message.
     * @return completes when delivered.
     */
    public CompletableFuture<Void> tell(final String type, final String key, final String message)
    {
        return tell(type, key, message, null);
    }

    /**
     * Delivers a message to an agent once, whatever retries it takes: with an idempotency key the
     * client itself retries on 503, 504 and connection failures (see {@link #ask(String, String,
     * String, String)}).
     *
     * @param type           agent type.
     * @param key            agent key.
     * @param message        JSON message.
     * @param idempotencyKey identifies the request across retries, or null.
     * @return completes when delivered.
     */
    public CompletableFuture<Void> tell(
        final String type, final String key, final String message, final String idempotencyKey)
    {
        return send(agentPath(type, key) + "?mode=tell", message, idempotencyKey).thenApply(body -> null);
    }

    /**
     * Reads an agent's committed state (linearizable).
     *
     * @param type agent type.
     * @param key  agent key.
     * @return the state as JSON.
     */
    public CompletableFuture<JsonNode> state(final String type, final String key)
    {
        // A read changes nothing, so it is as safe to retry as a keyed request.
        return call(HttpRequest.newBuilder().GET(), agentPath(type, key), true, 0,
                System.nanoTime() + timeout.toNanos())
            .thenApply(body -> Codecs.parseJson(body.getBytes(StandardCharsets.UTF_8)).get("state"));
    }

    /**
     * Delivers a message to every existing agent of a type; completes once every delivery committed.
     *
     * @param type    agent type.
     * @param message JSON message.
     * @return how many agents took the message.
     */
    public CompletableFuture<Long> broadcast(final String type, final String message)
    {
        return broadcast(type, message, null);
    }

    /**
     * Delivers a message to every existing agent of a type; completes once every delivery committed.
     * Repeating a broadcast that failed part way with the same key reaches the agents it missed and
     * none twice.
     *
     * @param type           agent type.
     * @param message        JSON message.
     * @param idempotencyKey key of this broadcast, or null.
     * @return how many agents took the message.
     */
    public CompletableFuture<Long> broadcast(final String type, final String message, final String idempotencyKey)
    {
        return send("/agents/" + URLEncoder.encode(type, StandardCharsets.UTF_8), message, idempotencyKey)
            .thenApply(body -> Codecs.parseJson(body.getBytes(StandardCharsets.UTF_8)).get("delivered").asLong());
    }

    public void close()
    {
        // The JDK client has no close before Java 21; its threads are daemons.
    }

    private CompletableFuture<String> send(final String path, final String message, final String idempotencyKey)
    {
        final HttpRequest.Builder builder = HttpRequest.newBuilder()
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(message));
        if (idempotencyKey != null)
        {
            builder.header("Idempotency-Key", idempotencyKey);
        }
        return call(builder, path, idempotencyKey != null, 0, System.nanoTime() + timeout.toNanos());
    }

    private CompletableFuture<String> call(
        final HttpRequest.Builder builder, final String path, final boolean safe, final int attempt,
        final long deadlineNs)
    {
        final String endpoint = endpoints.get(Math.floorMod(next.getAndIncrement(), endpoints.size()));
        final long leftNs = Math.max(TimeUnit.MILLISECONDS.toNanos(100), deadlineNs - System.nanoTime());
        // A request that may be sent again gets a shorter attempt, so that an attempt lost on the
        // way (a connection that died under it) still leaves time for another within the deadline.
        final long remainingNs = safe ? Math.min(leftNs, MAX_SAFE_ATTEMPT_NS) : leftNs;
        final HttpRequest.Builder attemptBuilder = builder.copy()
            .uri(URI.create((tls != null ? "https://" : "http://") + endpoint + path))
            .timeout(Duration.ofNanos(remainingNs));
        if (token != null)
        {
            attemptBuilder.header("Authorization", "Bearer " + token);
        }
        final HttpRequest request = attemptBuilder.build();
        // The HTTP client's own timeout covers the wait for the response's headers only; this bound
        // covers the whole exchange, so an attempt always ends and the call with it.
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
            .orTimeout(remainingNs + ATTEMPT_GRACE_NS, TimeUnit.NANOSECONDS)
            .handle((response, ex) ->
            {
                if (ex != null)
                {
                    final Throwable cause = ex instanceof CompletionException ? ex.getCause() : ex;
                    if (neverSent(cause) && attempt + 1 < endpoints.size())
                    {
                        // The node could not be reached, so the request never started: try the next.
                        return call(builder, path, safe, attempt + 1, deadlineNs);
                    }
                    if (retryable(safe, deadlineNs))
                    {
                        return retry(builder, path, safe, attempt, deadlineNs);
                    }
                    return CompletableFuture.<String>failedFuture(
                        new RookeryException(0, "UNREACHABLE", String.valueOf(cause)));
                }
                if (response.statusCode() / 100 == 2)
                {
                    return CompletableFuture.completedFuture(response.body());
                }
                if ((response.statusCode() == 503 || response.statusCode() == 504) &&
                    retryable(safe, deadlineNs))
                {
                    // The outcome is open (a leader lost mid-commit, or no leader yet): the same key
                    // makes a second attempt safe, and the next node may already know the new leader.
                    return retry(builder, path, safe, attempt, deadlineNs);
                }
                String status = "HTTP_" + response.statusCode();
                String text = response.body();
                try
                {
                    final JsonNode error = Codecs.parseJson(response.body().getBytes(StandardCharsets.UTF_8));
                    status = error.path("status").asText(status);
                    text = error.path("error").asText(text);
                }
                catch (final RuntimeException notJson)
                {
                    // keep the raw body
                }
                return CompletableFuture.<String>failedFuture(
                    new RookeryException(response.statusCode(), status, text));
            })
            .thenCompose(f -> f);
    }

    private static boolean retryable(final boolean safe, final long deadlineNs)
    {
        return safe && deadlineNs - System.nanoTime() > RETRY_PAUSE_MAX_NS;
    }

    private CompletableFuture<String> retry(
        final HttpRequest.Builder builder, final String path, final boolean safe, final int attempt,
        final long deadlineNs)
    {
        // 25, 50, 100, 200 ms, then 200 ms: a new leader is usually known within an election.
        final long pauseNs = Math.min(RETRY_PAUSE_MAX_NS, TimeUnit.MILLISECONDS.toNanos(25) << Math.min(attempt, 4));
        return CompletableFuture.supplyAsync(() -> null,
                CompletableFuture.delayedExecutor(pauseNs, TimeUnit.NANOSECONDS))
            .thenCompose(ignored -> call(builder, path, safe, attempt + 1, deadlineNs));
    }

    /**
     * Only a failure to connect proves the request was never sent; after a timeout or a broken
     * connection it may have been applied, and retrying is the caller's decision.
     */
    private static boolean neverSent(final Throwable cause)
    {
        return cause instanceof java.net.ConnectException ||
            cause instanceof java.net.http.HttpConnectTimeoutException;
    }

    private static String agentPath(final String type, final String key)
    {
        return "/agents/" + URLEncoder.encode(type, StandardCharsets.UTF_8) + "/" +
            URLEncoder.encode(key, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
