package io.rookery.node;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.rookery.api.AgentId;
import io.rookery.api.AgentType;
import io.rookery.api.CodecException;
import io.rookery.api.Codecs;
import io.rookery.transport.codecs.RequestKind;
import io.rookery.transport.codecs.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP on every node (the JDK's server, no framework): agents, cluster view, health, readiness
 * and metrics. Requests are validated at the edge (path, type, size, body) so that bad input is
 * answered with a 4xx and a readable message before it costs the cluster anything.
 * <p>
 * Handlers never block a worker on a turn: the response is written when the request's future
 * completes, on the ingress executor, never on a partition loop.
 */
final class HttpIngress implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(HttpIngress.class);
    private static final String JSON = "application/json";
    /** How long a stopping node waits for the requests it is answering. */
    private static final int DRAIN_SECONDS = 2;
    private static final String IDEMPOTENCY_KEY = "Idempotency-Key";
    private static final long MAX_DRAIN_BYTES = 16L * 1024 * 1024;
    /** Requests a node answers at once; more get 503 at once rather than a queue that grows. */
    static final int MAX_IN_FLIGHT = 1024;

    static
    {
        // The JDK server writes headers and body separately; with Nagle's algorithm on, each
        // response can wait for the client's delayed ACK (tens of milliseconds).
        if (System.getProperty("sun.net.httpserver.nodelay") == null)
        {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
    }

    private static final byte[] DASHBOARD = loadDashboard();

    static
    {
        // The JDK server reads these once, when its first instance is made, and waits for ever by
        // default: a client that sends its headers slowly (or never) would hold a connection for
        // good. Bounds, unless the JVM was started with others (-D...).
        defaultProperty("sun.net.httpserver.maxReqTime", "30");       // s to read a request's headers
        defaultProperty("sun.net.httpserver.maxRspTime", "120");      // s to answer, past the request timeout
        defaultProperty("sun.net.httpserver.maxReqHeaders", "64");
        defaultProperty("sun.net.httpserver.maxReqHeaderSize", "65536");
        defaultProperty("sun.net.httpserver.idleInterval", "30");     // s a kept-alive idle connection lives
        // Not jdk.httpserver.maxConnections: the JDK 17 server's count of open connections leaks under
        // hostile requests (found by HttpFuzzTest: after ~30,000 of them every new connection was
        // reset although none was open), so requests in progress are bounded here instead.
    }

    private static void defaultProperty(final String key, final String value)
    {
        if (System.getProperty(key) == null)
        {
            System.setProperty(key, value);
        }
    }

    private final RookeryNode node;
    private final AgentRuntime runtime;
    private final NodeMetrics metrics;
    private final HttpServer server;
    private final ThreadPoolExecutor executor;
    private final HttpAuth auth;
    private final boolean metricsOpen;
    private final java.util.Set<HttpExchange> inFlight = java.util.concurrent.ConcurrentHashMap.newKeySet();

    HttpIngress(final RookeryNode node, final AgentRuntime runtime, final String host, final int port,
        final int threads) throws IOException
    {
        this.node = node;
        this.runtime = runtime;
        this.metrics = runtime.metrics();
        this.auth = HttpAuth.fromFile(node.context().tokenFile());
        this.metricsOpen = node.context().metricsOpen();
        final AtomicInteger ids = new AtomicInteger();
        this.executor = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(1024), r ->
            {
                final Thread thread = new Thread(r, "rookery-http-" + node.nodeId() + "-" + ids.incrementAndGet());
                thread.setDaemon(true);
                return thread;
            }, new ThreadPoolExecutor.CallerRunsPolicy());
        final RookeryNode.Context ctx = node.context();
        if (ctx.tlsCertificate() != null)
        {
            // HTTPS only: a plain HTTP request gets no answer a client could take for one.
            final com.sun.net.httpserver.HttpsServer https =
                com.sun.net.httpserver.HttpsServer.create(new InetSocketAddress(host, port), 256);
            https.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(
                Tls.server(ctx.tlsCertificate(), ctx.tlsKey())));
            this.server = https;
        }
        else
        {
            this.server = HttpServer.create(new InetSocketAddress(host, port), 256);
        }
        server.setExecutor(executor);
        server.createContext("/", this::handle);
    }

    /** @return the token this node presents to its peers' HTTP APIs, or null when they need none. */
    String peerToken()
    {
        return auth == null ? null : auth.peerToken();
    }

    String endpoint()
    {
        return node.context().host() + ":" + server.getAddress().getPort();
    }

    /** @return requests received and not answered yet. */
    int inFlight()
    {
        return inFlight.size();
    }

    void start()
    {
        server.start();
        LOG.info("http listening node={} endpoint={} tls={} tokens={}", node.nodeId(), endpoint(),
            node.context().tlsCertificate() != null, auth != null);
    }

    /**
     * Stops gracefully: no new connections, and requests already in the node (most of them forwarded
     * to leaders elsewhere, which are still up) get up to {@link #DRAIN_SECONDS} to be answered rather
     * than a broken connection whose outcome the client cannot know.
     */
    public void close()
    {
        server.stop(DRAIN_SECONDS);
        executor.shutdownNow();
    }

    /** Stops at once, as a crash would: connections in use are broken. */
    void kill()
    {
        server.stop(0);
        executor.shutdownNow();
    }

    /**
     * @return the decoded value of a query parameter, or null when the request has none by that name
     * (or its value is not valid percent-encoding).
     */
    private static String queryParam(final HttpExchange exchange, final String name)
    {
        final String query = exchange.getRequestURI().getRawQuery();
        if (query == null)
        {
            return null;
        }
        final String prefix = name + "=";
        for (final String pair : query.split("&"))
        {
            if (pair.startsWith(prefix))
            {
                try
                {
                    // In a query string '+' stands for a space, as HTML forms and URLEncoder write it.
                    return URLDecoder.decode(pair.substring(prefix.length()), StandardCharsets.UTF_8);
                }
                catch (final IllegalArgumentException malformed)
                {
                    // A broken %-escape names nothing: as if the parameter were absent.
                    return null;
                }
            }
        }
        return null;
    }

    /** @return whether a path is one that probes and scrapers read: answered even at the bound. */
    private static boolean isProbe(final String path)
    {
        return path.equals("/health") || path.equals("/ready") || path.equals("/metrics");
    }

    /** @return what a request needs: probes are open, agent traffic needs a client token, the rest admin. */
    private HttpAuth.Role roleFor(final String path)
    {
        if (path.equals("/health") || path.equals("/ready") || (path.equals("/metrics") && metricsOpen) ||
            path.equals("/") || path.equals("/dashboard"))
        {
            // The dashboard page itself holds no data; what it fetches asks for the admin token.
            return HttpAuth.Role.OPEN;
        }
        if (path.startsWith("/agents/") || path.startsWith("/lookup/"))
        {
            return HttpAuth.Role.CLIENT;
        }
        return HttpAuth.Role.ADMIN;
    }

    /**
     * A POST must say what it carries: JSON, or a jar for a bundle. A browser sends a cross-site
     * form post without asking only with a form's content types, so this keeps a web page from
     * posting to a node through an operator's browser.
     */
    private static boolean acceptableContentType(final HttpExchange exchange, final String path)
    {
        final String type = exchange.getRequestHeaders().getFirst("Content-Type");
        if (type == null)
        {
            return false;
        }
        final String mediaType = type.split(";", 2)[0].strip().toLowerCase(java.util.Locale.ROOT);
        if (path.equals("/admin/bundles"))
        {
            return mediaType.equals("application/java-archive") || mediaType.equals("application/octet-stream");
        }
        return mediaType.equals(JSON) || mediaType.endsWith("+json");
    }

    private void deny(final HttpExchange exchange, final HttpAuth.Verdict verdict)
    {
        metrics.authFailures.labelValues(verdict.code() == 401 ? "unauthenticated" : "forbidden").inc();
        if (verdict.code() == 401)
        {
            exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer");
        }
        respond(exchange, "denied", verdict.code(), JSON, Codecs.toJson(Map.of(
            "status", verdict.code() == 401 ? "UNAUTHORIZED" : "FORBIDDEN", "error", verdict.reason())));
    }

    private void handle(final HttpExchange exchange)
    {
        final String path = exchange.getRequestURI().getRawPath();
        final String method = exchange.getRequestMethod();
        // Counted until answered (respond() takes it out), wherever the answer comes from. Not an
        // exchange attribute: in JDK 17 those belong to the context, shared by every exchange.
        inFlight.add(exchange);
        if (inFlight.size() > MAX_IN_FLIGHT && !isProbe(path))
        {
            drain(exchange, Long.MAX_VALUE);
            metrics.rejected.labelValues("http_in_flight").inc();
            error(exchange, "other", 503, "OVERLOADED", "this node is answering " + MAX_IN_FLIGHT +
                " requests already; try again");
            return;
        }
        try
        {
            if (auth != null)
            {
                final HttpAuth.Verdict verdict =
                    auth.check(exchange.getRequestHeaders().getFirst("Authorization"), roleFor(path));
                if (!verdict.allowed())
                {
                    // An unauthenticated body is not read: the connection closes after the answer.
                    drain(exchange, Long.MAX_VALUE);
                    deny(exchange, verdict);
                    return;
                }
            }
            if (method.equals("POST") && !acceptableContentType(exchange, path))
            {
                drain(exchange, Long.MAX_VALUE);
                metrics.rejected.labelValues("content_type").inc();
                error(exchange, "other", 415, "UNSUPPORTED_MEDIA_TYPE", "a POST to " + path + " needs Content-Type: " +
                    (path.equals("/admin/bundles") ? "application/java-archive" : JSON));
                return;
            }
            if (path.startsWith("/agents/"))
            {
                handleAgent(exchange, method, path);
            }
            else if ((path.equals("/") || path.equals("/dashboard")) && method.equals("GET"))
            {
                respond(exchange, "dashboard", 200, "text/html; charset=utf-8", DASHBOARD);
            }
            else if (path.startsWith("/lookup/") && method.equals("GET"))
            {
                handleLookup(exchange, path);
            }
            else if (path.equals("/cluster") && method.equals("GET"))
            {
                final boolean local = "local".equals(queryParam(exchange, "scope"));
                respond(exchange, "cluster", 200, JSON, Codecs.toJson(node.clusterView(!local)));
            }
            else if (path.equals("/admin/drain") && method.equals("POST"))
            {
                final String refusal = node.drain("true".equals(queryParam(exchange, "force")));
                if (refusal != null)
                {
                    final Map<String, Object> body = new java.util.LinkedHashMap<>(node.drainStatus());
                    body.put("status", "REFUSED");
                    body.put("error", refusal);
                    respond(exchange, "admin", 409, JSON, Codecs.toJson(body));
                }
                else
                {
                    respond(exchange, "admin", 202, JSON, Codecs.toJson(node.drainStatus()));
                }
            }
            else if (path.equals("/admin/drain") && method.equals("GET"))
            {
                respond(exchange, "admin", 200, JSON, Codecs.toJson(node.drainStatus()));
            }
            else if (path.equals("/admin/bundles") && method.equals("POST"))
            {
                handleDeploy(exchange);
            }
            else if (path.startsWith("/admin/bundles/") && method.equals("GET"))
            {
                final byte[] bytes = node.deployer().bytes(path.substring("/admin/bundles/".length()));
                if (bytes == null)
                {
                    error(exchange, "admin", 404, "NOT_FOUND", "this node has no bundle " + path.substring(15));
                }
                else
                {
                    respond(exchange, "admin", 200, "application/java-archive", bytes);
                }
            }
            else if (path.equals("/admin/deployments") && method.equals("GET"))
            {
                final boolean local = "local".equals(queryParam(exchange, "scope"));
                respondDeployments(exchange, () -> local ? node.deployer().localStatus() : node.deployments(null));
            }
            else if (path.startsWith("/admin/deployments/") && (method.equals("GET") || method.equals("POST")))
            {
                handleDeployment(exchange, method, path.substring("/admin/deployments/".length()));
            }
            else if (path.matches("/admin/partitions/[0-9]{1,5}") && method.equals("GET"))
            {
                final int partition = Integer.parseInt(path.substring("/admin/partitions/".length()));
                if (partition >= runtime.partitionCount())
                {
                    error(exchange, "admin", 404, "NOT_FOUND", "no partition " + partition);
                }
                else
                {
                    respond(exchange, "admin", 200, JSON, Codecs.toJson(node.describePartition(partition)));
                }
            }
            else if (path.startsWith("/admin/partitions/") && path.endsWith("/move") && method.equals("POST"))
            {
                handleMove(exchange, path);
            }
            else if (path.equals("/admin/shutdown") && method.equals("POST"))
            {
                final boolean restart = "true".equals(queryParam(exchange, "restart"));
                respond(exchange, "admin", 202, JSON, Codecs.toJson(Map.of("node", node.nodeId(), "stopping", true,
                    "restart", restart)));
                node.requestShutdown(restart);
            }
            else if (path.equals("/health") && method.equals("GET"))
            {
                respond(exchange, "health", 200, JSON, Codecs.toJson(Map.of("status", "UP", "node", node.nodeId())));
            }
            else if (path.equals("/ready") && method.equals("GET"))
            {
                final Map<String, Object> readiness = node.readiness();
                final boolean ready = Boolean.TRUE.equals(readiness.get("ready"));
                respond(exchange, "ready", ready ? 200 : 503, JSON, Codecs.toJson(readiness));
            }
            else if (path.equals("/metrics") && method.equals("GET"))
            {
                respond(exchange, "metrics", 200, metrics.contentType(), metrics.scrape());
            }
            else if (path.equals("/cluster") || path.equals("/health") || path.equals("/ready") ||
                path.equals("/metrics") || path.startsWith("/admin/"))
            {
                error(exchange, "other", 405, "METHOD_NOT_ALLOWED", method + " not allowed on " + path);
            }
            else
            {
                error(exchange, "other", 404, "NOT_FOUND", "no such resource: " + path);
            }
        }
        catch (final RuntimeException ex)
        {
            LOG.error("http handler failed for {} {}", method, path, ex);
            error(exchange, "other", 500, "INTERNAL_ERROR", "internal error: " + ex.getMessage());
        }
    }

    private void handleDeploy(final HttpExchange exchange)
    {
        final byte[] jar = readBody(exchange, "admin", Deployer.MAX_BUNDLE_BYTES);
        if (jar == null)
        {
            return;
        }
        String expected = queryParam(exchange, "sha256");
        if (expected == null)
        {
            expected = exchange.getRequestHeaders().getFirst("X-Bundle-SHA256");
        }
        final boolean activate = !"false".equals(queryParam(exchange, "activate"));
        final String sha = expected;
        respondDeployments(exchange, 201, () -> node.deployer().deploy(jar, sha, activate));
    }

    private void handleDeployment(final HttpExchange exchange, final String method, final String rest)
    {
        final String[] parts = rest.split("/", -1);
        final String name = decode(parts[0]);
        final String version = queryParam(exchange, "version");
        if (parts.length == 1 && method.equals("GET"))
        {
            respondDeployments(exchange, () ->
            {
                final Map<String, Object> view = node.deployments(name);
                if (view == null)
                {
                    throw new java.util.NoSuchElementException("no bundle named '" + name + "' was deployed");
                }
                return view;
            });
            return;
        }
        if (parts.length != 2 || !method.equals("POST"))
        {
            error(exchange, "admin", 404, "NOT_FOUND", "no such resource: /admin/deployments/" + rest);
            return;
        }
        final Deployer deployer = node.deployer();
        switch (parts[1])
        {
            case "activate", "prune" ->
            {
                if (version == null || version.isEmpty())
                {
                    error(exchange, "admin", 400, "BAD_REQUEST", parts[1] + " needs ?version=");
                    return;
                }
                respondDeployments(exchange, () -> Map.of("record", "activate".equals(parts[1]) ?
                    deployer.activate(name, version) : deployer.prune(name, version)));
            }
            case "rollback" -> respondDeployments(exchange, () -> Map.of("record", deployer.rollback(name)));
            default -> error(exchange, "admin", 404, "NOT_FOUND", "no such action: " + parts[1] +
                " (activate, rollback or prune)");
        }
    }

    private void respondDeployments(final HttpExchange exchange, final java.util.function.Supplier<Object> action)
    {
        respondDeployments(exchange, 200, action);
    }

    private void respondDeployments(
        final HttpExchange exchange, final int okCode, final java.util.function.Supplier<Object> action)
    {
        try
        {
            respond(exchange, "admin", okCode, JSON, Codecs.toJson(action.get()));
        }
        catch (final io.rookery.deploy.BundleRefusedException ex)
        {
            final int code = switch (ex.reason())
            {
                case "type_clash", "refused" -> 409;
                case "too_large" -> 413;
                default -> 400;
            };
            error(exchange, "admin", code, ex.reason().toUpperCase(java.util.Locale.ROOT), ex.getMessage());
        }
        catch (final java.util.NoSuchElementException ex)
        {
            error(exchange, "admin", 404, "NOT_FOUND", ex.getMessage());
        }
        catch (final IllegalStateException ex)
        {
            final boolean notDrained = ex.getMessage() != null && ex.getMessage().contains("is not drained");
            error(exchange, "admin", notDrained ? 409 : 503, notDrained ? "NOT_DRAINED" : "UNAVAILABLE",
                ex.getMessage());
        }
    }

    private void handleAgent(final HttpExchange exchange, final String method, final String path)
    {
        final String route = "agents_" + method.toLowerCase();
        final String[] parts = path.substring("/agents/".length()).split("/", -1);
        if (parts.length == 1 && !parts[0].isEmpty() && method.equals("POST"))
        {
            handleBroadcast(exchange, decode(parts[0]));
            return;
        }
        if (parts.length == 1 && !parts[0].isEmpty() && method.equals("GET"))
        {
            handleQuery(exchange, decode(parts[0]));
            return;
        }
        if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty())
        {
            error(exchange, route, 400, "BAD_REQUEST",
                "expected /agents/{type}/{key} (encode '/' in a key as %2F): " + path);
            return;
        }
        final AgentId id;
        try
        {
            id = new AgentId(decode(parts[0]), decode(parts[1]));
        }
        catch (final IllegalArgumentException ex)
        {
            error(exchange, route, 400, "BAD_REQUEST", ex.getMessage());
            return;
        }
        final AgentType<?, ?> type = knownType(exchange, route, id.type());
        if (type == null)
        {
            return;
        }
        switch (method)
        {
            case "GET" -> complete(exchange, route,
                runtime.router().request(id, new byte[0], RequestKind.READ, null, runtime.limits().requestTimeout()));
            case "POST" ->
            {
                final byte[] body = readBody(exchange, route);
                if (body == null)
                {
                    return;
                }
                try
                {
                    type.messageCodec().decode(body);
                }
                catch (final CodecException ex)
                {
                    metrics.rejected.labelValues("bad_request").inc();
                    error(exchange, route, 400, Status.BAD_REQUEST.name(), ex.getMessage());
                    return;
                }
                final boolean tell = "tell".equals(queryParam(exchange, "mode"));
                if (!checkIdempotencyKey(exchange, route))
                {
                    return;
                }
                final String idempotencyKey = exchange.getRequestHeaders().getFirst(IDEMPOTENCY_KEY);
                complete(exchange, route, runtime.router().request(id, body, tell ? RequestKind.TELL : RequestKind.ASK,
                    null, runtime.limits().requestTimeout(), idempotencyKey), tell ? 202 : 200);
            }
            case "DELETE" ->
            {
                if (!checkIdempotencyKey(exchange, route))
                {
                    return;
                }
                complete(exchange, route, runtime.router().request(id, new byte[0], RequestKind.DELETE, null,
                    runtime.limits().requestTimeout(), exchange.getRequestHeaders().getFirst(IDEMPOTENCY_KEY)), 204);
            }
            default -> error(exchange, route, 405, "METHOD_NOT_ALLOWED", method + " not allowed on " + path);
        }
    }

    /**
     * {@code GET /agents/{type}}: a page of the agents of a type that have state ({@code where},
     * {@code limit}, {@code cursor}), or, with {@code count}, {@code sum}, {@code min} or {@code max}, an
     * aggregate over all of them ({@link AgentQueries}).
     */
    private void handleQuery(final HttpExchange exchange, final String type)
    {
        final String route = "agents_query";
        final AgentType<?, ?> agentType = knownType(exchange, route, type);
        if (agentType == null)
        {
            return;
        }
        final String where = queryParam(exchange, "where");
        final String field = firstNonNull(queryParam(exchange, "sum"), queryParam(exchange, "min"),
            queryParam(exchange, "max"));
        final boolean aggregate = field != null || "true".equals(queryParam(exchange, "count"));
        if (aggregate)
        {
            complete(exchange, route, runtime.queries().aggregate(type, where, field,
                runtime.limits().requestTimeout()));
            return;
        }
        final String limitText = queryParam(exchange, "limit");
        final int limit;
        try
        {
            limit = limitText == null ? 100 : Integer.parseInt(limitText);
        }
        catch (final NumberFormatException ex)
        {
            error(exchange, route, 400, Status.BAD_REQUEST.name(), "limit is a number: " + limitText);
            return;
        }
        if (limit < 1 || limit > PartitionQuery.MAX_LIMIT)
        {
            error(exchange, route, 400, Status.BAD_REQUEST.name(), "limit must be in [1, " + PartitionQuery.MAX_LIMIT +
                "]: " + limit);
            return;
        }
        complete(exchange, route, runtime.queries().list(type, where, queryParam(exchange, "cursor"), limit,
            runtime.limits().requestTimeout()));
    }

    private static String firstNonNull(final String... values)
    {
        for (final String value : values)
        {
            if (value != null)
            {
                return value;
            }
        }
        return null;
    }

    /**
     * @return the registered type of that name, or null once the request was answered 404 (and
     * counted) because there is none.
     */
    private AgentType<?, ?> knownType(final HttpExchange exchange, final String route, final String name)
    {
        final AgentType<?, ?> type = runtime.registry().find(name);
        if (type == null)
        {
            metrics.rejected.labelValues("unknown_type").inc();
            error(exchange, route, 404, Status.UNKNOWN_TYPE.name(),
                "unknown agent type '" + name + "'; known: " + runtime.registry().names());
        }
        return type;
    }

    /**
     * Whether the request's Idempotency-Key header, if it has one, is well formed; a malformed one is
     * answered here with 400.
     */
    private boolean checkIdempotencyKey(final HttpExchange exchange, final String route)
    {
        final String key = exchange.getRequestHeaders().getFirst(IDEMPOTENCY_KEY);
        if (key != null && (key.isEmpty() || key.length() > 256))
        {
            metrics.rejected.labelValues("bad_request").inc();
            error(exchange, route, 400, Status.BAD_REQUEST.name(), "Idempotency-Key must be 1 to 256 characters");
            return false;
        }
        return true;
    }

    private byte[] readBody(final HttpExchange exchange, final String route)
    {
        return readBody(exchange, route, runtime.limits().maxPayloadBytes());
    }

    private byte[] readBody(final HttpExchange exchange, final String route, final int max)
    {
        final String declared = exchange.getRequestHeaders().getFirst("Content-Length");
        try
        {
            if (declared != null && Long.parseLong(declared.trim()) > max)
            {
                drain(exchange, Long.parseLong(declared.trim()));
                metrics.rejected.labelValues("too_large").inc();
                error(exchange, route, 413, Status.TOO_LARGE.name(),
                    "body of " + declared.trim() + " bytes exceeds the limit of " + max + " bytes");
                return null;
            }
        }
        catch (final NumberFormatException ex)
        {
            error(exchange, route, 400, Status.BAD_REQUEST.name(), "bad Content-Length: " + declared);
            return null;
        }
        try (InputStream in = exchange.getRequestBody())
        {
            final byte[] body = in.readNBytes(max + 1);
            if (body.length > max)
            {
                // A chunked body of unknown length: never read it to its end, close instead.
                exchange.getResponseHeaders().set("Connection", "close");
                metrics.rejected.labelValues("too_large").inc();
                error(exchange, route, 413, Status.TOO_LARGE.name(), "body exceeds the limit of " + max + " bytes");
                return null;
            }
            return body;
        }
        catch (final IOException ex)
        {
            error(exchange, route, 400, Status.BAD_REQUEST.name(), "could not read the body: " + ex.getMessage());
            return null;
        }
    }

    private static byte[] loadDashboard()
    {
        try (InputStream in = HttpIngress.class.getResourceAsStream("dashboard.html"))
        {
            if (in == null)
            {
                throw new IllegalStateException("dashboard.html missing from the classpath");
            }
            return in.readAllBytes();
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot load the dashboard", ex);
        }
    }

    /**
     * Where an agent lives and what it holds: partition, leader, replicas, committed state.
     */
    @SuppressWarnings("unchecked")
    private void handleLookup(final HttpExchange exchange, final String path)
    {
        final String route = "lookup";
        final String[] parts = path.substring("/lookup/".length()).split("/", -1);
        final AgentId id;
        try
        {
            if (parts.length != 2)
            {
                throw new IllegalArgumentException("expected /lookup/{type}/{key}");
            }
            id = new AgentId(decode(parts[0]), decode(parts[1]));
        }
        catch (final IllegalArgumentException ex)
        {
            error(exchange, route, 400, "BAD_REQUEST", ex.getMessage());
            return;
        }
        if (runtime.registry().find(id.type()) == null)
        {
            error(exchange, route, 404, Status.UNKNOWN_TYPE.name(),
                "unknown agent type '" + id.type() + "'; known: " + runtime.registry().names());
            return;
        }
        final int partition = Partitioner.partition(id, runtime.partitionCount());
        runtime.router().request(id, new byte[0], RequestKind.READ, null, runtime.limits().requestTimeout())
            .whenCompleteAsync((response, ex) ->
            {
                final Map<String, Object> view = node.clusterView();
                final Map<String, Object> partitionView =
                    ((List<Map<String, Object>>)view.get("partitions")).get(partition);
                final Map<String, Object> body = new LinkedHashMap<>();
                body.put("type", id.type());
                body.put("key", id.key());
                body.put("partition", partition);
                body.put("group", partitionView.get("group"));
                body.put("epoch", partitionView.get("epoch"));
                body.put("leader", partitionView.get("leader"));
                body.put("term", partitionView.get("term"));
                for (final Map<String, Object> group : (List<Map<String, Object>>)view.get("groups"))
                {
                    if (group.get("name").equals(partitionView.get("group")))
                    {
                        body.put("replicas", group.get("replicas"));
                    }
                }
                if (response != null && response.isOk())
                {
                    final com.fasterxml.jackson.databind.JsonNode read = Codecs.parseJson(response.payload());
                    body.put("exists", read.get("exists").asBoolean());
                    body.put("state", read.get("state"));
                }
                else
                {
                    body.put("stateError", response == null ? String.valueOf(ex) : response.payloadText());
                }
                respond(exchange, route, 200, JSON, Codecs.toJson(body));
            }, executor);
    }

    /**
     * {@code POST /admin/partitions/{p}/move?to=NODE}: hands a partition to the group of node NODE
     * (or to the group named g-NODE). Only the node serving the partition can start the move; any
     * other answers 409 naming it.
     */
    private void handleMove(final HttpExchange exchange, final String path)
    {
        final String route = "admin";
        final String middle = path.substring("/admin/partitions/".length(), path.length() - "/move".length());
        final int partition;
        try
        {
            partition = Integer.parseInt(middle);
        }
        catch (final NumberFormatException ex)
        {
            error(exchange, route, 400, "BAD_REQUEST", "expected /admin/partitions/{partition}/move?to={node}");
            return;
        }
        final String to = queryParam(exchange, "to");
        if (partition < 0 || partition >= runtime.partitionCount() || to == null || to.isEmpty())
        {
            error(exchange, route, 400, "BAD_REQUEST", "partition must be in [0, " + runtime.partitionCount() +
                ") and to= must name a node or a group (g-NODE)");
            return;
        }
        final String home = to.startsWith("g-") ? to.substring(2) : to;
        final long target = io.rookery.raft.GroupKeys.of(home);
        node.movePartition(partition, target).whenCompleteAsync((refusal, ex) ->
        {
            final Map<String, Object> body = new LinkedHashMap<>();
            body.put("partition", partition);
            body.put("to", "g-" + home);
            if (ex == null && refusal == null)
            {
                body.put("started", true);
                respond(exchange, route, 202, JSON, Codecs.toJson(body));
                return;
            }
            body.put("started", false);
            body.put("error", ex != null ? String.valueOf(ex) : refusal);
            body.put("servedBy", runtime.routing().leader(partition).nodeId());
            respond(exchange, route, 409, JSON, Codecs.toJson(body));
        }, executor);
    }

    private void handleBroadcast(final HttpExchange exchange, final String type)
    {
        final String route = "agents_broadcast";
        final AgentType<?, ?> agentType = knownType(exchange, route, type);
        if (agentType == null)
        {
            return;
        }
        final byte[] body = readBody(exchange, route);
        if (body == null)
        {
            return;
        }
        try
        {
            agentType.messageCodec().decode(body);
        }
        catch (final CodecException ex)
        {
            metrics.rejected.labelValues("bad_request").inc();
            error(exchange, route, 400, Status.BAD_REQUEST.name(), ex.getMessage());
            return;
        }
        if (!checkIdempotencyKey(exchange, route))
        {
            return;
        }
        final String broadcastKey = exchange.getRequestHeaders().getFirst(IDEMPOTENCY_KEY);
        runtime.router().broadcast(type, body, broadcastKey, runtime.limits().requestTimeout())
            .whenCompleteAsync((responses, ex) ->
        {
            if (ex != null)
            {
                error(exchange, route, 500, Status.INTERNAL_ERROR.name(), String.valueOf(ex));
                return;
            }
            long delivered = 0;
            long refused = 0;
            final List<Integer> failed = new ArrayList<>();
            Response firstFailure = null;
            for (int p = 0; p < responses.size(); p++)
            {
                final Response response = responses.get(p);
                if (response.isOk())
                {
                    final com.fasterxml.jackson.databind.JsonNode tally = Codecs.parseJson(response.payload());
                    delivered += tally.get("delivered").asLong();
                    refused += tally.path("refused").asLong();
                }
                else
                {
                    failed.add(p);
                    firstFailure = firstFailure == null ? response : firstFailure;
                }
            }
            final Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("type", type);
            summary.put("delivered", delivered);
            summary.put("refused", refused);
            summary.put("failedPartitions", failed);
            if (firstFailure != null)
            {
                summary.put("status", firstFailure.status().name());
                summary.put("error", "partitions " + failed + " did not confirm delivery (" +
                    firstFailure.payloadText() + "); repeat with the same Idempotency-Key to reach the rest once");
            }
            respond(exchange, route, failed.isEmpty() ? 200 : 503, JSON, Codecs.toJson(summary));
        }, executor);
    }

    private void complete(final HttpExchange exchange, final String route, final CompletableFuture<Response> future)
    {
        complete(exchange, route, future, 200);
    }

    private void complete(
        final HttpExchange exchange, final String route, final CompletableFuture<Response> future, final int okCode)
    {
        future.whenCompleteAsync((response, ex) ->
        {
            if (ex != null)
            {
                error(exchange, route, 500, Status.INTERNAL_ERROR.name(), String.valueOf(ex));
            }
            else if (response.isOk())
            {
                respond(exchange, route, okCode, JSON, okCode == 202 ? new byte[0] : response.payload());
            }
            else
            {
                error(exchange, route, httpStatus(response.status()), response.status().name(), response.payloadText());
            }
        }, executor);
    }

    static int httpStatus(final Status status)
    {
        return switch (status)
        {
            case OK -> 200;
            case BAD_REQUEST -> 400;
            case UNKNOWN_TYPE -> 404;
            case TOO_LARGE -> 413;
            case AGENT_ERROR -> 422;
            case OVERLOADED -> 429;
            case TIMEOUT -> 504;
            case REDIRECT, UNAVAILABLE, STALE_TERM -> 503;
            default -> 500;
        };
    }

    private void error(final HttpExchange exchange, final String route, final int code, final String status,
        final String message)
    {
        final Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", message);
        body.put("status", status);
        body.put("node", node.nodeId());
        respond(exchange, route, code, JSON, Codecs.toJson(body));
    }

    private void respond(final HttpExchange exchange, final String route, final int code, final String contentType,
        final byte[] body)
    {
        metrics.httpRequests.labelValues(route, Integer.toString(code)).inc();
        inFlight.remove(exchange);
        try (exchange; OutputStream out = exchange.getResponseBody())
        {
            exchange.getResponseHeaders().set("Content-Type", contentType);
            if (code == 429 || code == 503)
            {
                exchange.getResponseHeaders().set("Retry-After", "1");
            }
            // A HEAD answer has headers only: writing its body would fail and leave the exchange open.
            final boolean head = "HEAD".equals(exchange.getRequestMethod());
            exchange.sendResponseHeaders(code, head || body.length == 0 ? -1 : body.length);
            if (!head && body.length > 0)
            {
                out.write(body);
            }
        }
        catch (final IOException ex)
        {
            LOG.debug("client went away before its response", ex);
        }
    }

    /**
     * Reads and discards what is left of a refused body (bounded), so the client, still sending,
     * gets to read the error instead of a reset connection.
     */
    private static void drain(final HttpExchange exchange, final long declared)
    {
        if (declared > MAX_DRAIN_BYTES)
        {
            exchange.getResponseHeaders().set("Connection", "close");
            return;
        }
        try
        {
            // The request body stream ends at the declared length, so this is bounded by it.
            exchange.getRequestBody().transferTo(OutputStream.nullOutputStream());
        }
        catch (final IOException ex)
        {
            LOG.debug("could not drain a refused body", ex);
        }
    }

    private static String decode(final String segment)
    {
        return URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
    }
}
