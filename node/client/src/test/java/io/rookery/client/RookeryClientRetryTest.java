package io.rookery.client;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The client's retries against a scripted HTTP server: a request with an idempotency key is sent
 * again, with the same key, while the answer leaves its outcome open; one without a key is not.
 */
class RookeryClientRetryTest
{
    private HttpServer server;
    private final AtomicInteger failuresLeft = new AtomicInteger();
    private final List<String> keysSeen = new CopyOnWriteArrayList<>();
    private volatile int failureStatus = 503;

    @BeforeEach
    void start() throws IOException
    {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::answer);
        server.start();
    }

    @AfterEach
    void stop()
    {
        server.stop(0);
    }

    private void answer(final HttpExchange exchange) throws IOException
    {
        keysSeen.add(String.valueOf(exchange.getRequestHeaders().getFirst("Idempotency-Key")));
        exchange.getRequestBody().readAllBytes();
        final boolean fail = failuresLeft.getAndDecrement() > 0;
        final byte[] body = (fail ? "{\"status\":\"UNAVAILABLE\",\"error\":\"no leader yet\"}" : "{\"value\":1}")
            .getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(fail ? failureStatus : 200, body.length);
        exchange.getResponseBody().write(body);
        exchange.close();
    }

    private String endpoint()
    {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    @Test
    void anAskWithAKeyIsRetriedWithTheSameKeyUntilItsOutcomeIsKnown()
    {
        failuresLeft.set(2);
        final RookeryClient client = RookeryClient.connect(List.of(endpoint()), Duration.ofSeconds(5));
        assertThat(client.ask("counter", "c1", "{}", "k-1").join()).isEqualTo("{\"value\":1}");
        assertThat(keysSeen).containsExactly("k-1", "k-1", "k-1");
    }

    @Test
    void aTellWithAKeyIsRetriedOnAGatewayTimeoutToo()
    {
        failuresLeft.set(1);
        failureStatus = 504;
        final RookeryClient client = RookeryClient.connect(List.of(endpoint()), Duration.ofSeconds(5));
        client.tell("counter", "c1", "{}", "t-1").join();
        assertThat(keysSeen).containsExactly("t-1", "t-1");
    }

    @Test
    void withoutAKeyAnOpenOutcomeGoesBackToTheCaller()
    {
        failuresLeft.set(1);
        final RookeryClient client = RookeryClient.connect(List.of(endpoint()), Duration.ofSeconds(5));
        assertThatThrownBy(() -> client.ask("counter", "c1", "{}").join())
            .isInstanceOf(CompletionException.class)
            .cause().isInstanceOf(RookeryException.class).hasMessageContaining("no leader yet");
        assertThat(keysSeen).hasSize(1);
    }

    @Test
    void aKeyedRequestGivesUpAtTheClientTimeout()
    {
        failuresLeft.set(Integer.MAX_VALUE);
        final RookeryClient client = RookeryClient.connect(List.of(endpoint()), Duration.ofMillis(800));
        assertThatThrownBy(() -> client.ask("counter", "c1", "{}", "k-2").join())
            .cause().isInstanceOf(RookeryException.class);
        assertThat(keysSeen).hasSizeGreaterThan(1).containsOnly("k-2");
    }

    @Test
    void aNodeThatRefusesTheConnectionIsSkippedForTheNext() throws IOException
    {
        final int closedPort;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0))
        {
            closedPort = probe.getLocalPort();
        }
        final RookeryClient client = RookeryClient.connect(List.of("127.0.0.1:" + closedPort, endpoint()),
            Duration.ofSeconds(5));
        assertThat(client.ask("counter", "c1", "{}").join()).isEqualTo("{\"value\":1}");
        assertThat(client.ask("counter", "c1", "{}").join()).isEqualTo("{\"value\":1}");
    }
}
