package io.rookery.node;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.function.DoubleSupplier;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
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
        .name("rookery_batch_turns").help("Turns per replicated log entry (group commit), per group led")
        .labelNames("group").classicOnly().classicExponentialUpperBounds(1, 4, 7).register(registry);
    final Histogram batchBytes = Histogram.builder()
        .name("rookery_batch_bytes").help("Bytes per replicated log entry, per group led")
        .labelNames("group").classicOnly().classicExponentialUpperBounds(64, 8, 6).register(registry);
    final Histogram commitSeconds = Histogram.builder()
        .name("rookery_commit_latency_seconds").help("Proposal to commit-and-apply of a log entry, per group led")
        .labelNames("group").classicOnly().classicExponentialUpperBounds(1e-3, 4, 7).register(registry);
    final Counter proposals = Counter.builder()
        .name("rookery_proposals_total").help("Log entries proposed, by result")
        .labelNames("result").register(registry);
    final Counter leaderChanges = Counter.builder()
        .name("rookery_leader_changes_total").help("Group leadership changes seen by this node")
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
    final Counter stalledReplicaRestarts = Counter.builder()
        .name("rookery_stalled_replica_restarts_total")
        .help("Follower replicas restarted because they heard from no leader and stood for no election")
        .register(registry);
    final Counter closedReplicaReopens = Counter.builder()
        .name("rookery_closed_replica_reopens_total")
        .help("Replicas that Ratis closed by itself (an election outside their own configuration), reopened")
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
    final Counter ephemeralDropped = Counter.builder()
        .name("rookery_ephemeral_dropped_total").help("At-most-once messages to ephemeral agents dropped, by reason")
        .labelNames("reason").register(registry);
    private final java.util.concurrent.ConcurrentHashMap<String, CounterDataPoint> ephemeralDroppedByReason =
        new java.util.concurrent.ConcurrentHashMap<>();
    final Counter partitionMoves = Counter.builder()
        .name("rookery_partition_moves_total")
        .help("Partition handoffs this node drove as the source group's leader, by step reached")
        .labelNames("step").register(registry);
    final Counter handoffChunks = Counter.builder()
        .name("rookery_handoff_chunks_total").help("Handoff chunks, by direction and outcome")
        .labelNames("direction", "outcome").register(registry);
    final Counter authFailures = Counter.builder()
        .name("rookery_http_auth_failures_total")
        .help("HTTP requests refused for their token: unauthenticated (none or unknown, 401) or forbidden (403)")
        .labelNames("reason").register(registry);
    final Counter deploys = Counter.builder()
        .name("rookery_bundle_deploys_total")
        .help("Bundles uploaded to this node: deployed, or refused by reason (hash_mismatch, bad_descriptor, " +
            "does_not_load, type_clash, too_large)")
        .labelNames("outcome").register(registry);
    final Counter bundleLoads = Counter.builder()
        .name("rookery_bundle_loads_total")
        .help("Bundle versions this node loaded (or failed to load) after the cluster's record named them")
        .labelNames("outcome").register(registry);
    final Counter versionMoves = Counter.builder()
        .name("rookery_agent_version_moves_total")
        .help("In-memory agents moved to a newly activated version of their type at a turn boundary, by outcome")
        .labelNames("outcome").register(registry);
    final Counter prunes = Counter.builder()
        .name("rookery_bundle_prunes_total")
        .help("Bundle versions whose class loader this node closed and whose bytes it deleted")
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

    private final CounterDataPoint durableOk = turns.labelValues("durable", "ok");
    private final CounterDataPoint ephemeralOk = turns.labelValues("ephemeral", "ok");

    /**
     * @return the turn counter of one durability and outcome; the common ones without a lookup.
     */
    CounterDataPoint turn(final boolean durable, final String outcome)
    {
        if ("ok".equals(outcome))
        {
            return durable ? durableOk : ephemeralOk;
        }
        return turns.labelValues(durable ? "durable" : "ephemeral", outcome);
    }

    void ephemeralDropped(final String reason)
    {
        ephemeralDroppedByReason.computeIfAbsent(reason, ephemeralDropped::labelValues).inc();
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
     * A labelled gauge read at scrape time.
     *
     * @param name   metric name.
     * @param help   description.
     * @param label  the label's name.
     * @param source fills in (value, label value) pairs.
     */
    public void gauges(final String name, final String help, final String label,
        final java.util.function.Consumer<java.util.function.ObjDoubleConsumer<String>> source)
    {
        GaugeWithCallback.builder().name(name).help(help).labelNames(label)
            .callback(cb -> source.accept((labelValue, value) -> cb.call(value, labelValue))).register(registry);
    }

    /**
     * A labelled counter read at scrape time.
     *
     * @param name   metric name (ending in _total).
     * @param help   description.
     * @param label  the label's name.
     * @param source fills in (value, label value) pairs; values must never decrease.
     */
    public void counters(final String name, final String help, final String label,
        final java.util.function.Consumer<java.util.function.ObjDoubleConsumer<String>> source)
    {
        CounterWithCallback.builder().name(name).help(help).labelNames(label)
            .callback(cb -> source.accept((labelValue, value) -> cb.call(value, labelValue))).register(registry);
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
