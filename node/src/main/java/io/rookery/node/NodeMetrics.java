package io.rookery.node;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.function.DoubleSupplier;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * The node's metrics, in one Prometheus registry per node (several nodes may share a JVM in
 * tests). Hot-path instruments are created once here and incremented by label-free children.
 */
public final class NodeMetrics
{
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();

    final Counter httpRequests = Counter.builder()
        .name("rookery_http_requests_total").help("HTTP requests by path kind and status code")
        .labelNames("route", "code").register(registry);
    final Counter turns = Counter.builder()
        .name("rookery_turns_total").help("Agent turns by outcome")
        .labelNames("durability", "outcome").register(registry);
    final Histogram turnSeconds = Histogram.builder()
        .name("rookery_turn_duration_seconds").help("Time an agent's handler took")
        .classicOnly().classicExponentialUpperBounds(1e-6, 4, 10).register(registry);
    final Histogram batchTurns = Histogram.builder()
        .name("rookery_batch_turns").help("Turns per replicated log entry (group commit)")
        .classicOnly().classicExponentialUpperBounds(1, 2, 14).register(registry);
    final Histogram batchBytes = Histogram.builder()
        .name("rookery_batch_bytes").help("Bytes per replicated log entry")
        .classicOnly().classicExponentialUpperBounds(64, 4, 10).register(registry);
    final Histogram commitSeconds = Histogram.builder()
        .name("rookery_commit_latency_seconds").help("Proposal to commit-and-apply of a log entry")
        .classicOnly().classicExponentialUpperBounds(1e-4, 2, 16).register(registry);
    final Counter proposals = Counter.builder()
        .name("rookery_proposals_total").help("Log entries proposed, by result")
        .labelNames("result").register(registry);
    final Counter leaderChanges = Counter.builder()
        .name("rookery_leader_changes_total").help("Partition leadership changes seen by this node")
        .labelNames("kind").register(registry);
    final Counter rejected = Counter.builder()
        .name("rookery_rejected_total").help("Requests refused before reaching an agent, by reason")
        .labelNames("reason").register(registry);
    final Counter forwarded = Counter.builder()
        .name("rookery_requests_forwarded_total").help("Requests this node sent to another node's partition leader")
        .labelNames("kind").register(registry);
    final Counter reconfigurations = Counter.builder()
        .name("rookery_reconfigurations_total").help("Replica set changes this node committed as a group leader")
        .register(registry);
    final Counter agentMessages = Counter.builder()
        .name("rookery_agent_messages_total").help("Durable agent-to-agent messages received, by what became of them")
        .labelNames("outcome").register(registry);
    final Counter idempotentReplays = Counter.builder()
        .name("rookery_idempotent_replays_total").help("Requests answered with the stored reply of an earlier one")
        .register(registry);
    final Counter redirects = Counter.builder()
        .name("rookery_redirects_total").help("Requests answered with a redirect to another leader")
        .register(registry);
    final Counter inboundFrames = Counter.builder()
        .name("rookery_inbound_frames_total").help("Decoded frames received, by sending node and template")
        .labelNames("peer", "frame").register(registry);

    /**
     * Registers the JVM's own metrics too.
     */
    public NodeMetrics()
    {
        JvmMetrics.builder().register(registry);
    }

    /** @return the registry, for components that register their own instruments. */
    public PrometheusRegistry registry()
    {
        return registry;
    }

    /**
     * @param name   metric name.
     * @param help   description.
     * @param source read at scrape time.
     */
    public void gauge(final String name, final String help, final DoubleSupplier source)
    {
        GaugeWithCallback.builder().name(name).help(help)
            .callback(cb -> cb.call(source.getAsDouble())).register(registry);
    }

    /**
     * @param name   metric name (ending in _total).
     * @param help   description.
     * @param source read at scrape time; must never decrease.
     */
    public void counter(final String name, final String help, final DoubleSupplier source)
    {
        CounterWithCallback.builder().name(name).help(help)
            .callback(cb -> cb.call(source.getAsDouble())).register(registry);
    }

    /**
     * @return the current values in Prometheus text format.
     */
    public byte[] scrape()
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
        try
        {
            writer.write(out, registry.scrape());
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("metrics exposition failed", ex);
        }
        return out.toByteArray();
    }

    /** @return the content type of {@link #scrape()}. */
    public String contentType()
    {
        return writer.getContentType();
    }
}
