package io.rookery.node;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.rookery.api.AgentId;
import io.rookery.gossip.NodeMetadata;
import io.rookery.transport.AeronTransport;
import io.rookery.transport.FrameHandler;
import io.rookery.transport.LogLimiter;
import io.rookery.transport.codecs.AgentMessageDecoder;
import io.rookery.transport.codecs.AgentMessageEncoder;
import io.rookery.transport.codecs.AgentRequestDecoder;
import io.rookery.transport.codecs.AgentRequestEncoder;
import io.rookery.transport.codecs.AgentResponseDecoder;
import io.rookery.transport.codecs.AgentResponseEncoder;
import io.rookery.transport.codecs.Durability;
import io.rookery.transport.codecs.EphemeralMessageDecoder;
import io.rookery.transport.codecs.EphemeralMessageEncoder;
import io.rookery.transport.codecs.MessageHeaderDecoder;
import io.rookery.transport.codecs.MessageAckDecoder;
import io.rookery.transport.codecs.MessageAckEncoder;
import io.rookery.transport.codecs.MessageHeaderEncoder;
import io.rookery.transport.codecs.PartitionHandoffDecoder;
import io.rookery.transport.codecs.PartitionHandoffEncoder;
import io.rookery.transport.codecs.RequestKind;
import io.rookery.transport.codecs.Status;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableDirectByteBuffer;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gets requests to the leader of their agent's partition, wherever it is, and answers requests
 * other nodes forward here.
 * <p>
 * The sender looks the leader up in its {@link RoutingTable}; a local leader gets the message
 * straight into its partition loop (no Aeron), a remote one gets an SBE frame over Aeron. A
 * redirect updates the table and the request is tried again, since a redirected request was
 * certainly not applied. Any other failure is the caller's to handle.
 */
final class Router implements FrameHandler
{
    private static final Logger LOG = LoggerFactory.getLogger(Router.class);
    private static final int MAX_ATTEMPTS = 8;
    private static final long DEADLINE_GRACE_MS = 250;
    private static final byte[] EMPTY = new byte[0];

    private final AgentRuntime runtime;
    private final ScheduledExecutorService scheduler;
    private final Map<Long, Call> calls = new ConcurrentHashMap<>();
    private final AtomicLong correlationIds = new AtomicLong();
    private final ThreadLocal<Encoders> encoders = ThreadLocal.withInitial(Encoders::new);
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final AgentRequestDecoder requestDecoder = new AgentRequestDecoder();
    private final AgentResponseDecoder responseDecoder = new AgentResponseDecoder();
    private final AgentMessageDecoder messageDecoder = new AgentMessageDecoder();
    private final MessageAckDecoder ackDecoder = new MessageAckDecoder();
    private final EphemeralMessageDecoder ephemeralDecoder = new EphemeralMessageDecoder();
    private final PartitionHandoffDecoder handoffDecoder = new PartitionHandoffDecoder();
    private final Map<Long, CompletableFuture<Response>> handoffs = new ConcurrentHashMap<>();
    private final UnsafeBuffer typeView = new UnsafeBuffer(0, 0);
    /** Inbound frame counters per peer node and {@link Inbound} kind; the transport thread's own. */
    private final Long2ObjectHashMap<CounterDataPoint[]> inboundByPeer = new Long2ObjectHashMap<>();
    /** Forwarded-request counters per kind, filled on first use (a race stores the same data point). */
    private final CounterDataPoint[] forwardedByKind = new CounterDataPoint[RequestKind.values().length];
    private final LogLimiter lateLog = new LogLimiter(10, TimeUnit.SECONDS);
    private final LogLimiter failureLog = new LogLimiter(10, TimeUnit.SECONDS);
    private final AtomicLong lateResponses = new AtomicLong();
    private volatile AeronTransport transport;

    private static final class Encoders
    {
        final ExpandableDirectByteBuffer buffer = new ExpandableDirectByteBuffer(4096);
        final MessageHeaderEncoder header = new MessageHeaderEncoder();
        final AgentRequestEncoder request = new AgentRequestEncoder();
        final AgentResponseEncoder response = new AgentResponseEncoder();
        final AgentMessageEncoder message = new AgentMessageEncoder();
        final MessageAckEncoder ack = new MessageAckEncoder();
        final EphemeralMessageEncoder ephemeral = new EphemeralMessageEncoder();
        final PartitionHandoffEncoder handoff = new PartitionHandoffEncoder();
        final UnsafeBuffer type = new UnsafeBuffer(new byte[4 * AgentId.MAX_LENGTH]);
        final UnsafeBuffer key = new UnsafeBuffer(new byte[4 * AgentId.MAX_LENGTH]);
    }

    private final class Call
    {
        final AgentId target;
        final int partition;
        final byte[] payload;
        final RequestKind kind;
        final AgentId sender;
        final long deadlineMs;
        final String idempotencyKey;
        final CompletableFuture<Response> future = new CompletableFuture<>();
        int attempts;
        String lastTried;

        Call(
            final AgentId target,
            final int partition,
            final byte[] payload,
            final RequestKind kind,
            final AgentId sender,
            final long deadlineMs,
            final String idempotencyKey)
        {
            this.idempotencyKey = idempotencyKey;
            this.target = target;
            this.partition = partition;
            this.payload = payload;
            this.kind = kind;
            this.sender = sender;
            this.deadlineMs = deadlineMs;
        }
    }

    Router(final AgentRuntime runtime, final ScheduledExecutorService scheduler)
    {
        this.runtime = runtime;
        this.scheduler = scheduler;
    }

    void transport(final AeronTransport transport)
    {
        this.transport = transport;
    }

    long lateResponses()
    {
        return lateResponses.get();
    }

    CompletableFuture<Response> request(
        final AgentId target,
        final byte[] payload,
        final RequestKind kind,
        final AgentId sender,
        final Duration timeout)
    {
        return request(target, payload, kind, sender, timeout, null);
    }

    CompletableFuture<Response> request(
        final AgentId target,
        final byte[] payload,
        final RequestKind kind,
        final AgentId sender,
        final Duration timeout,
        final String idempotencyKey)
    {
        final int partition = Partitioner.partition(target, runtime.partitionCount());
        final long deadlineMs = System.currentTimeMillis() + timeout.toMillis();
        final Call call = new Call(target, partition, payload, kind, sender, deadlineMs, idempotencyKey);
        // Whatever becomes of it, a call answers by its deadline: a turn held by a leader that never
        // serves again, or a read Ratis never finishes, ends as a timeout, not as a caller waiting forever.
        call.future.completeOnTimeout(Response.error(Status.TIMEOUT, "no answer for " + target +
            " within the request timeout; the outcome is unknown"), timeout.toMillis() + DEADLINE_GRACE_MS,
            TimeUnit.MILLISECONDS);
        attempt(call);
        return call.future;
    }

    /**
     * Delivers a message to every existing agent of a type, partition by partition. Each partition
     * answers once its deliveries have committed; one that changes leader meanwhile is asked again,
     * and the broadcast key keeps any agent from taking the message twice.
     *
     * @param broadcastKey idempotency key of the broadcast: the same key never delivers twice to an
     *                     agent (within the idempotency retention); null for a fresh one.
     * @return one response per partition, in partition order.
     */
    CompletableFuture<List<Response>> broadcast(
        final String type, final byte[] payload, final String broadcastKey, final Duration timeout)
    {
        final long deadlineMs = System.currentTimeMillis() + timeout.toMillis();
        final String key = broadcastKey != null ? broadcastKey :
            "broadcast:" + runtime.nodeId() + ":" + java.util.UUID.randomUUID();
        final List<CompletableFuture<Response>> parts = new ArrayList<>();
        for (int p = 0; p < runtime.partitionCount(); p++)
        {
            final Call call =
                new Call(new AgentId(type, "*"), p, payload, RequestKind.BROADCAST, null, deadlineMs, key);
            call.future.completeOnTimeout(Response.error(Status.TIMEOUT, "partition " + p +
                " did not confirm the broadcast within the request timeout"), timeout.toMillis() + DEADLINE_GRACE_MS,
                TimeUnit.MILLISECONDS);
            attempt(call);
            parts.add(call.future);
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new))
            .thenApply(v -> parts.stream().map(CompletableFuture::join).toList());
    }

    /**
     * Runs a query over one partition's agents of a type at the partition's leader (next to the
     * data), following the leader as it moves.
     *
     * @param type      the agent type.
     * @param partition the partition.
     * @param query     the query as JSON ({@link AgentRuntime#queryLocal}).
     * @param timeout   how long the caller waits.
     * @return the partition's answer.
     */
    CompletableFuture<Response> query(final String type, final int partition, final byte[] query,
        final Duration timeout)
    {
        final long deadlineMs = System.currentTimeMillis() + timeout.toMillis();
        final Call call = new Call(new AgentId(type, "*"), partition, query, RequestKind.QUERY, null, deadlineMs, null);
        call.future.completeOnTimeout(Response.error(Status.TIMEOUT, "partition " + partition +
            " did not answer the query within the request timeout"), timeout.toMillis() + DEADLINE_GRACE_MS,
            TimeUnit.MILLISECONDS);
        attempt(call);
        return call.future;
    }

    private void attempt(final Call call)
    {
        try
        {
            attemptOnce(call);
        }
        catch (final RuntimeException ex)
        {
            // A call must always complete: a bug here would otherwise leave its caller waiting forever.
            if (failureLog.tryAcquire(System.nanoTime()) > 0)
            {
                LOG.error("routing a request to {} failed", call.target, ex);
            }
            call.future.complete(internalError(ex));
        }
    }

    private void attemptOnce(final Call call)
    {
        if (call.future.isDone())
        {
            return;
        }
        final long nowMs = System.currentTimeMillis();
        if (nowMs >= call.deadlineMs)
        {
            call.future.complete(Response.error(Status.UNAVAILABLE,
                "no reachable leader for partition " + call.partition + " (tried " + call.attempts + " times)"));
            return;
        }
        final RoutingTable.Leader leader = runtime.routing().leader(call.partition);
        if (leader.nodeId() == null || call.attempts >= MAX_ATTEMPTS)
        {
            retryLater(call);
            return;
        }
        call.attempts++;
        call.lastTried = leader.nodeId();
        if (leader.nodeId().equals(runtime.nodeId()))
        {
            attemptLocal(call);
        }
        else
        {
            attemptRemote(call, leader.nodeId(), nowMs);
        }
    }

    private void retryLater(final Call call)
    {
        final long delayMs = Math.min(500, 20L << Math.min(call.attempts, 5));
        if (System.currentTimeMillis() + delayMs >= call.deadlineMs)
        {
            call.future.complete(Response.error(Status.UNAVAILABLE,
                "no reachable leader for partition " + call.partition + " within the request timeout"));
            return;
        }
        if (call.attempts >= MAX_ATTEMPTS)
        {
            call.attempts = MAX_ATTEMPTS / 2;
        }
        scheduler.schedule(() -> attempt(call), delayMs, TimeUnit.MILLISECONDS);
    }

    private void attemptLocal(final Call call)
    {
        if (call.kind == RequestKind.BROADCAST)
        {
            runtime.broadcastLocal(call.partition, call.target.type(), call.payload, call.idempotencyKey,
                r -> onResponse(call, r));
            return;
        }
        if (call.kind == RequestKind.READ)
        {
            runtime.readLocal(call.target, call.partition).whenComplete((response, ex) ->
                onResponse(call, response != null ? response : internalError(ex)));
            return;
        }
        if (call.kind == RequestKind.QUERY)
        {
            runtime.queryLocal(call.partition, call.target.type(), call.payload, call.deadlineMs)
                .whenComplete((response, ex) -> onResponse(call, response != null ? response : internalError(ex)));
            return;
        }
        final Replier replier = response -> onResponse(call, response);
        if (call.kind == RequestKind.DELETE)
        {
            runtime.deliver(Envelope.delete(call.target, call.partition, replier, call.deadlineMs,
                call.idempotencyKey));
            return;
        }
        runtime.deliver(call.sender == null ?
            Envelope.request(call.target, call.partition, call.payload, call.kind == RequestKind.ASK, replier,
                call.deadlineMs, call.idempotencyKey) :
            new Envelope(call.target, call.partition, call.payload, call.sender, call.kind == RequestKind.ASK, replier,
                call.deadlineMs));
    }

    private void attemptRemote(final Call call, final String nodeId, final long nowMs)
    {
        final NodeMetadata node = runtime.routing().node(nodeId);
        if (node == null || transport == null)
        {
            runtime.routing().forget(call.partition, nodeId);
            retryLater(call);
            return;
        }
        final long correlationId = correlationIds.incrementAndGet();
        calls.put(correlationId, call);
        final Encoders e = encoders.get();
        final AgentRequestEncoder request = e.request.wrapAndApplyHeader(e.buffer, 0, e.header)
            .correlationId(correlationId)
            .senderNode(runtime.nodeKey())
            .partition(call.partition)
            .senderTerm(-1)
            .kind(call.kind)
            .durability(Durability.DURABLE)
            .deadlineMs(call.deadlineMs)
            .agentType(call.target.type())
            .agentKey(call.target.key())
            .senderType(call.sender == null ? "" : call.sender.type())
            .senderKey(call.sender == null ? "" : call.sender.key())
            .idempotencyKey(call.idempotencyKey == null ? "" : call.idempotencyKey);
        request.putPayload(call.payload, 0, call.payload.length);
        final int length = MessageHeaderEncoder.ENCODED_LENGTH + request.encodedLength();
        final int result = transport.send(NodeKeys.of(nodeId), e.buffer, 0, length);
        if (result != AeronTransport.SENT)
        {
            calls.remove(correlationId);
            call.future.complete(result == AeronTransport.TOO_LARGE ?
                Response.error(Status.TOO_LARGE,
                    "message of " + call.payload.length + " bytes exceeds the frame limit") :
                Response.error(Status.OVERLOADED, "outbound transport buffer is full; retry later"));
            return;
        }
        CounterDataPoint forwarded = forwardedByKind[call.kind.ordinal()];
        if (forwarded == null)
        {
            forwarded = runtime.metrics().forwarded.labelValues(call.kind.name().toLowerCase());
            forwardedByKind[call.kind.ordinal()] = forwarded;
        }
        forwarded.inc();
        final long waitMs = Math.max(1, call.deadlineMs - nowMs);
        scheduler.schedule(() ->
        {
            final Call expired = calls.remove(correlationId);
            if (expired != null)
            {
                expired.future.complete(Response.error(Status.TIMEOUT,
                    "no answer from node " + nodeId + " within the request timeout; the outcome is unknown"));
            }
        }, waitMs, TimeUnit.MILLISECONDS);
    }

    private void onResponse(final Call call, final Response response)
    {
        if (response.status() != Status.REDIRECT)
        {
            call.future.complete(response);
            return;
        }
        if (response.leaderHint() != null && !response.leaderHint().equals(call.lastTried))
        {
            runtime.routing().observeHint(call.partition, response.leaderHint());
            attempt(call);
        }
        else
        {
            runtime.routing().forget(call.partition, call.lastTried);
            retryLater(call);
        }
    }

    /**
     * Frames from other nodes, on the transport thread.
     */
    public void onFrame(final DirectBuffer buffer, final int offset, final int length)
    {
        headerDecoder.wrap(buffer, offset);
        final int templateId = headerDecoder.templateId();
        final int blockLength = headerDecoder.blockLength();
        final int version = headerDecoder.version();
        final int bodyOffset = offset + MessageHeaderDecoder.ENCODED_LENGTH;
        switch (templateId)
        {
            case AgentRequestDecoder.TEMPLATE_ID ->
                onRequest(requestDecoder.wrap(buffer, bodyOffset, blockLength, version));
            case AgentResponseDecoder.TEMPLATE_ID ->
                onResponseFrame(responseDecoder.wrap(buffer, bodyOffset, blockLength, version));
            case AgentMessageDecoder.TEMPLATE_ID ->
                onAgentMessage(messageDecoder.wrap(buffer, bodyOffset, blockLength, version));
            case MessageAckDecoder.TEMPLATE_ID ->
                onAck(ackDecoder.wrap(buffer, bodyOffset, blockLength, version));
            case EphemeralMessageDecoder.TEMPLATE_ID ->
                onEphemeral(ephemeralDecoder.wrap(buffer, bodyOffset, blockLength, version));
            case PartitionHandoffDecoder.TEMPLATE_ID ->
                onHandoff(handoffDecoder.wrap(buffer, bodyOffset, blockLength, version));
            default -> runtime.metrics().rejected.labelValues("unhandled_frame").inc();
        }
    }

    private void onRequest(final AgentRequestDecoder decoder)
    {
        final long correlationId = decoder.correlationId();
        final long senderNode = decoder.senderNode();
        final int partition = decoder.partition();
        final RequestKind kind = decoder.kind();
        final long deadlineMs = decoder.deadlineMs();
        final String type = decoder.agentType();
        final String key = decoder.agentKey();
        final String senderType = decoder.senderType();
        final String senderKey = decoder.senderKey();
        final String idempotencyKey = decoder.idempotencyKey();
        final byte[] payload = new byte[decoder.payloadLength()];
        decoder.getPayload(payload, 0, payload.length);
        countInbound(senderNode, Inbound.REQUEST);

        final Replier replier = response -> sendResponse(senderNode, correlationId, response);
        final AgentId target;
        final AgentId sender;
        try
        {
            target = new AgentId(type, key);
            sender = senderType.isEmpty() ? null : new AgentId(senderType, senderKey);
        }
        catch (final IllegalArgumentException ex)
        {
            replier.reply(Response.error(Status.BAD_REQUEST, ex.getMessage()));
            return;
        }
        if (kind == RequestKind.BROADCAST && partition < runtime.partitionCount())
        {
            runtime.broadcastLocal(partition, target.type(), payload, idempotencyKey, replier);
            return;
        }
        if (kind == RequestKind.QUERY && partition < runtime.partitionCount())
        {
            runtime.queryLocal(partition, target.type(), payload, deadlineMs).whenComplete((response, ex) ->
                replier.reply(response != null ? response : internalError(ex)));
            return;
        }
        if (partition >= runtime.partitionCount() ||
            Partitioner.partition(target, runtime.partitionCount()) != partition)
        {
            replier.reply(Response.error(Status.BAD_REQUEST, "agent " + target + " is not in partition " + partition));
            return;
        }
        if (kind == RequestKind.READ)
        {
            runtime.readLocal(target, partition).whenComplete((response, ex) -> replier.reply(
                response != null ? response : internalError(ex)));
            return;
        }
        if (kind == RequestKind.DELETE)
        {
            runtime.deliver(Envelope.delete(target, partition, replier, deadlineMs, idempotencyKey));
            return;
        }
        if (kind != RequestKind.ASK && kind != RequestKind.TELL)
        {
            replier.reply(Response.error(Status.BAD_REQUEST, "unknown request kind"));
            return;
        }
        runtime.deliver(sender == null ?
            Envelope.request(target, partition, payload, kind == RequestKind.ASK, replier, deadlineMs, idempotencyKey) :
            new Envelope(target, partition, payload, sender, kind == RequestKind.ASK, replier, deadlineMs));
    }

    /**
     * Sends an at-most-once message to an ephemeral agent and forgets it: straight into the
     * partition loop when this node leads the agent's partition, otherwise as one
     * {@code EphemeralMessage} frame to the leader, which answers nothing. The message is lost,
     * and counted, when no leader is known, when the outbound ring is full, or when leadership
     * moves while it travels; nothing is retried, so nothing runs twice.
     *
     * @param target  an agent of an ephemeral type.
     * @param payload the message.
     * @param sender  the sending agent, or null for a message from outside.
     * @return whether the message was handed to a partition loop or to the transport.
     */
    boolean tellEphemeral(final AgentId target, final byte[] payload, final AgentId sender)
    {
        final int partition = Partitioner.partition(target, runtime.partitionCount());
        final String leader = runtime.routing().leader(partition).nodeId();
        if (leader == null)
        {
            runtime.metrics().ephemeralDropped("no_leader");
            return false;
        }
        if (leader.equals(runtime.nodeId()))
        {
            return runtime.deliverEphemeral(new Envelope(target, partition, payload, sender, false, Replier.NONE, 0));
        }
        final AeronTransport transport = this.transport;
        if (transport == null)
        {
            runtime.metrics().ephemeralDropped("no_transport");
            return false;
        }
        final Encoders e = encoders.get();
        final EphemeralMessageEncoder encoder = e.ephemeral.wrapAndApplyHeader(e.buffer, 0, e.header)
            .senderNode(runtime.nodeKey())
            .partition(partition)
            .putTargetType(e.type, 0, utf8(target.type(), e.type))
            .putTargetKey(e.key, 0, utf8(target.key(), e.key));
        if (sender == null)
        {
            encoder.putSenderType(e.type, 0, 0).putSenderKey(e.key, 0, 0);
        }
        else
        {
            encoder.putSenderType(e.type, 0, utf8(sender.type(), e.type))
                .putSenderKey(e.key, 0, utf8(sender.key(), e.key));
        }
        encoder.putPayload(payload, 0, payload.length);
        final int length = MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
        final int result = transport.send(NodeKeys.of(leader), e.buffer, 0, length);
        if (result != AeronTransport.SENT)
        {
            runtime.metrics().ephemeralDropped(result == AeronTransport.TOO_LARGE ? "too_large" : "outbound_full");
            return false;
        }
        return true;
    }

    /**
     * Sends a committed outbox message to the leader of its target partition (or straight into
     * the local loop when that is this node). Without a known leader it waits for the resend.
     */
    void sendAgentMessage(final int sourcePartition, final long sourceFence, final OutboxMessage message)
    {
        final String leader = runtime.routing().leader(message.targetPartition).nodeId();
        if (leader == null)
        {
            return;
        }
        if (leader.equals(runtime.nodeId()))
        {
            runtime.deliverAgentMessage(Envelope.fromOutbox(message.target, message.targetPartition, message.payload,
                message.sender, message.expectsReply, sourcePartition, message.sequence, sourceFence));
            return;
        }
        final AeronTransport transport = this.transport;
        if (transport == null)
        {
            return;
        }
        final Encoders e = encoders.get();
        final AgentMessageEncoder encoder = e.message.wrapAndApplyHeader(e.buffer, 0, e.header)
            .senderNode(runtime.nodeKey())
            .sourcePartition(sourcePartition)
            .targetPartition(message.targetPartition)
            .sequence(message.sequence)
            .sourceTerm(sourceFence)
            .expectsReply((short)(message.expectsReply ? 1 : 0))
            .targetType(message.target.type())
            .targetKey(message.target.key())
            .senderType(message.sender.type())
            .senderKey(message.sender.key());
        encoder.putPayload(message.payload, 0, message.payload.length);
        transport.send(NodeKeys.of(leader), e.buffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength());
    }

    /**
     * Tells the leader of a source partition that its messages up to {@code sequence} were consumed.
     */
    void sendAck(final int sourcePartition, final int targetPartition, final long targetFence, final long sequence)
    {
        final String leader = runtime.routing().leader(sourcePartition).nodeId();
        if (leader == null || sequence <= 0)
        {
            return;
        }
        if (leader.equals(runtime.nodeId()))
        {
            runtime.deliverAck(sourcePartition, targetPartition, sequence);
            return;
        }
        final AeronTransport transport = this.transport;
        if (transport == null)
        {
            return;
        }
        final Encoders e = encoders.get();
        final MessageAckEncoder encoder = e.ack.wrapAndApplyHeader(e.buffer, 0, e.header)
            .senderNode(runtime.nodeKey())
            .sourcePartition(sourcePartition)
            .targetPartition(targetPartition)
            .sequence(sequence)
            .targetTerm(targetFence)
            .status(Status.OK)
            .leaderHint(NodeKeys.NONE);
        transport.send(NodeKeys.of(leader), e.buffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength());
    }

    private void onAgentMessage(final AgentMessageDecoder decoder)
    {
        final long senderNode = decoder.senderNode();
        final int sourcePartition = decoder.sourcePartition();
        final int targetPartition = decoder.targetPartition();
        final long sequence = decoder.sequence();
        final long sourceTerm = decoder.sourceTerm();
        final boolean expectsReply = decoder.expectsReply() == 1;
        final String targetType = decoder.targetType();
        final String targetKey = decoder.targetKey();
        final String senderType = decoder.senderType();
        final String senderKey = decoder.senderKey();
        final byte[] payload = new byte[decoder.payloadLength()];
        decoder.getPayload(payload, 0, payload.length);
        countInbound(senderNode, Inbound.AGENT_MESSAGE);
        final AgentId target;
        final AgentId sender;
        try
        {
            target = new AgentId(targetType, targetKey);
            sender = new AgentId(senderType, senderKey);
        }
        catch (final IllegalArgumentException ex)
        {
            runtime.metrics().rejected.labelValues("bad_agent_message").inc();
            return;
        }
        if (sourcePartition >= runtime.partitionCount() || targetPartition >= runtime.partitionCount() ||
            Partitioner.partition(target, runtime.partitionCount()) != targetPartition || sequence <= 0)
        {
            runtime.metrics().rejected.labelValues("bad_agent_message").inc();
            return;
        }
        runtime.deliverAgentMessage(Envelope.fromOutbox(target, targetPartition, payload, sender, expectsReply,
            sourcePartition, sequence, sourceTerm));
    }

    private void onEphemeral(final EphemeralMessageDecoder decoder)
    {
        final long senderNode = decoder.senderNode();
        final int partition = decoder.partition();
        decoder.wrapTargetType(typeView);
        String targetType = runtime.registry().name(typeView, 0, typeView.capacity());
        if (targetType == null)
        {
            targetType = typeView.getStringWithoutLengthUtf8(0, typeView.capacity());
        }
        final String targetKey = decoder.targetKey();
        final String senderType = decoder.senderType();
        final String senderKey = decoder.senderKey();
        final byte[] payload = new byte[decoder.payloadLength()];
        decoder.getPayload(payload, 0, payload.length);
        countInbound(senderNode, Inbound.EPHEMERAL);
        final AgentId target;
        final AgentId sender;
        try
        {
            target = new AgentId(targetType, targetKey);
            sender = senderType.isEmpty() ? null : new AgentId(senderType, senderKey);
        }
        catch (final IllegalArgumentException ex)
        {
            runtime.metrics().rejected.labelValues("bad_agent_message").inc();
            return;
        }
        if (partition >= runtime.partitionCount() ||
            Partitioner.partition(target, runtime.partitionCount()) != partition)
        {
            runtime.metrics().rejected.labelValues("bad_agent_message").inc();
            return;
        }
        runtime.deliverEphemeral(new Envelope(target, partition, payload, sender, false, Replier.NONE, 0));
    }

    private void onAck(final MessageAckDecoder decoder)
    {
        final long senderNode = decoder.senderNode();
        final int sourcePartition = decoder.sourcePartition();
        final int targetPartition = decoder.targetPartition();
        countInbound(senderNode, Inbound.ACK);
        if (sourcePartition >= runtime.partitionCount() || targetPartition >= runtime.partitionCount() ||
            decoder.status() != Status.OK)
        {
            return;
        }
        runtime.deliverAck(sourcePartition, targetPartition, decoder.sequence());
    }

    private void onResponseFrame(final AgentResponseDecoder decoder)
    {
        final long correlationId = decoder.correlationId();
        final Status status = decoder.status();
        final long leaderHintKey = decoder.leaderHint();
        final long leaderTerm = decoder.leaderTerm();
        final long senderNode = decoder.senderNode();
        final byte[] payload = new byte[decoder.payloadLength()];
        decoder.getPayload(payload, 0, payload.length);
        countInbound(senderNode, Inbound.RESPONSE);
        final CompletableFuture<Response> handoff = handoffs.remove(correlationId);
        if (handoff != null)
        {
            final String from = leaderHintKey == NodeKeys.NONE ? null : runtime.routing().nodeIdOf(leaderHintKey);
            handoff.complete(new Response(status == Status.NULL_VAL ? Status.INTERNAL_ERROR : status, payload, from,
                leaderTerm));
            return;
        }
        final Call call = calls.remove(correlationId);
        if (call == null)
        {
            lateResponses.incrementAndGet();
            if (lateLog.tryAcquire(System.nanoTime()) > 0)
            {
                LOG.debug("response for unknown or expired call {}", correlationId);
            }
            return;
        }
        final String hint = leaderHintKey == NodeKeys.NONE ? null : runtime.routing().nodeIdOf(leaderHintKey);
        onResponse(call, new Response(status == Status.NULL_VAL ? Status.INTERNAL_ERROR : status, payload, hint,
            leaderTerm));
    }

    void sendResponse(final long nodeKey, final long correlationId, final Response response)
    {
        final AeronTransport transport = this.transport;
        if (transport == null)
        {
            return;
        }
        final Encoders e = encoders.get();
        final AgentResponseEncoder encoder = e.response.wrapAndApplyHeader(e.buffer, 0, e.header)
            .correlationId(correlationId)
            .senderNode(runtime.nodeKey())
            .status(response.status())
            .leaderHint(response.leaderHint() == null ? NodeKeys.NONE : NodeKeys.of(response.leaderHint()))
            .leaderTerm(response.leaderTerm());
        byte[] payload = response.payload() == null ? EMPTY : response.payload();
        if (payload.length > transport.maxFrameLength() - 256)
        {
            payload = ("reply of " + payload.length + " bytes exceeds the frame limit")
                .getBytes(StandardCharsets.UTF_8);
            encoder.status(Status.TOO_LARGE);
        }
        encoder.putPayload(payload, 0, payload.length);
        final int length = MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
        transport.send(nodeKey, e.buffer, 0, length);
    }

    /**
     * Sends one handoff chunk to the node leading the target group and completes with its answer,
     * or with TIMEOUT when none comes in time.
     *
     * @return the answer; completes with OVERLOADED at once when the frame cannot be sent.
     */
    CompletableFuture<Response> sendHandoff(final String nodeId, final GroupRuntime.HandoffChunk chunk,
        final java.time.Duration timeout)
    {
        final AeronTransport transport = this.transport;
        if (transport == null || runtime.routing().node(nodeId) == null)
        {
            return CompletableFuture.completedFuture(Response.error(Status.UNAVAILABLE, "no route to " + nodeId));
        }
        final long correlationId = correlationIds.incrementAndGet();
        final CompletableFuture<Response> answer = new CompletableFuture<>();
        handoffs.put(correlationId, answer);
        final Encoders e = encoders.get();
        final PartitionHandoffEncoder encoder = e.handoff.wrapAndApplyHeader(e.buffer, 0, e.header)
            .correlationId(correlationId)
            .senderNode(runtime.nodeKey())
            .partition(chunk.partition())
            .epoch(chunk.epoch())
            .sourceGroup(chunk.sourceGroup())
            .targetGroup(chunk.targetGroup())
            .chunk(chunk.chunk())
            .last((short)(chunk.last() ? 1 : 0));
        encoder.putData(chunk.data(), 0, chunk.data().length);
        final int result = transport.send(NodeKeys.of(nodeId), e.buffer, 0,
            MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength());
        if (result != AeronTransport.SENT)
        {
            handoffs.remove(correlationId);
            return CompletableFuture.completedFuture(Response.error(Status.OVERLOADED, "handoff frame not sent"));
        }
        scheduler.schedule(() ->
        {
            final CompletableFuture<Response> expired = handoffs.remove(correlationId);
            if (expired != null)
            {
                expired.complete(Response.error(Status.TIMEOUT, "no answer from " + nodeId));
            }
        }, timeout.toMillis(), TimeUnit.MILLISECONDS);
        return answer;
    }

    private void onHandoff(final PartitionHandoffDecoder decoder)
    {
        final long correlationId = decoder.correlationId();
        final long senderNode = decoder.senderNode();
        final GroupRuntime.HandoffChunk chunk;
        final int partition = decoder.partition();
        final long epoch = decoder.epoch();
        final long source = decoder.sourceGroup();
        final long target = decoder.targetGroup();
        final int number = decoder.chunk();
        final boolean last = decoder.last() == 1;
        final byte[] data = new byte[decoder.dataLength()];
        decoder.getData(data, 0, data.length);
        countInbound(senderNode, Inbound.HANDOFF);
        chunk = new GroupRuntime.HandoffChunk(partition, epoch, source, target, number, last, data);
        runtime.deliverHandoffChunk(chunk, response -> sendResponse(senderNode, correlationId, response));
    }

    /**
     * A member left or was declared dead. Requests waiting for its answer would otherwise wait out
     * their whole deadline. Reads, and requests with an idempotency key, go again to whoever leads
     * now (a read changes nothing; a keyed request is applied once whatever the dead node did with
     * it); any other is answered at once as unavailable, its outcome unknown, for the caller to
     * decide.
     *
     * @param nodeId the member that is gone.
     * @return the number of requests that were waiting on it.
     */
    int peerGone(final String nodeId)
    {
        int waiting = 0;
        for (final Map.Entry<Long, Call> entry : calls.entrySet())
        {
            final Call call = entry.getValue();
            if (!nodeId.equals(call.lastTried) || !calls.remove(entry.getKey(), call))
            {
                continue;
            }
            waiting++;
            if (safeToSendAgain(call))
            {
                runtime.routing().forget(call.partition, nodeId);
                retryLater(call);
            }
            else
            {
                call.future.complete(Response.error(Status.UNAVAILABLE, "node " + nodeId +
                    " was lost with the request in flight; its outcome is unknown (an Idempotency-Key makes a " +
                    "retry safe)"));
            }
        }
        return waiting;
    }

    /**
     * A group has a new leader on another node (Raft elected it, or its claim arrived by gossip):
     * requests for the group's partitions that wait on the node that led it before may wait in vain
     * (that node may be dead, and gossip takes seconds longer to say so). Those safe to send again,
     * reads and requests with an idempotency key, go to the new leader now; any other keeps waiting
     * for its answer, or for {@link #peerGone}.
     *
     * @param group    the group.
     * @param previous the node that led it.
     * @return the number of requests sent again.
     */
    int leaderReplaced(final long group, final String previous)
    {
        int resent = 0;
        for (final Map.Entry<Long, Call> entry : calls.entrySet())
        {
            final Call call = entry.getValue();
            if (!previous.equals(call.lastTried) || !safeToSendAgain(call))
            {
                continue;
            }
            final RoutingTable.Owner owner = runtime.routing().owner(call.partition);
            if (owner == null || owner.group() != group || !calls.remove(entry.getKey(), call))
            {
                continue;
            }
            resent++;
            retryLater(call);
        }
        return resent;
    }

    /** Reads change nothing; a client's request with an idempotency key is applied once however often sent. */
    private static boolean safeToSendAgain(final Call call)
    {
        return call.kind == RequestKind.READ || (call.idempotencyKey != null && call.sender == null);
    }

    void failAll(final String why)
    {
        for (final Long id : handoffs.keySet())
        {
            final CompletableFuture<Response> handoff = handoffs.remove(id);
            if (handoff != null)
            {
                handoff.complete(Response.error(Status.UNAVAILABLE, why));
            }
        }
        for (final Long id : calls.keySet())
        {
            final Call call = calls.remove(id);
            if (call != null)
            {
                call.future.complete(Response.error(Status.UNAVAILABLE, why));
            }
        }
    }

    private static Response internalError(final Throwable ex)
    {
        return Response.error(Status.INTERNAL_ERROR, String.valueOf(ex));
    }

    /**
     * Writes text as UTF-8 without allocating when it is ASCII, as agent types and most keys are.
     *
     * @return the number of bytes written.
     */
    private static int utf8(final String text, final UnsafeBuffer dst)
    {
        for (int i = 0, length = text.length(); i < length; i++)
        {
            final char c = text.charAt(i);
            if (c >= 0x80)
            {
                return dst.putStringWithoutLengthUtf8(0, text);
            }
            dst.putByte(i, (byte)c);
        }
        return text.length();
    }

    /**
     * Counts a frame received from a peer without a label lookup per frame. A peer that routing
     * does not know yet is counted as "unknown" and not cached, so its own series starts once known.
     */
    private void countInbound(final long senderNode, final Inbound kind)
    {
        CounterDataPoint[] points = inboundByPeer.get(senderNode);
        if (points == null)
        {
            final String nodeId = runtime.routing().nodeIdOf(senderNode);
            if (nodeId == null)
            {
                runtime.metrics().inboundFrames.labelValues("unknown", kind.label).inc();
                return;
            }
            points = new CounterDataPoint[Inbound.VALUES.length];
            for (final Inbound each : Inbound.VALUES)
            {
                points[each.ordinal()] = runtime.metrics().inboundFrames.labelValues(nodeId, each.label);
            }
            inboundByPeer.put(senderNode, points);
        }
        points[kind.ordinal()].inc();
    }

    /** Kinds of inbound frames: the {@code frame} label of {@code rookery_inbound_frames_total}. */
    private enum Inbound
    {
        REQUEST("request"),
        RESPONSE("response"),
        AGENT_MESSAGE("agent_message"),
        ACK("ack"),
        EPHEMERAL("ephemeral"),
        HANDOFF("handoff");

        static final Inbound[] VALUES = values();

        final String label;

        Inbound(final String label)
        {
            this.label = label;
        }
    }
}
