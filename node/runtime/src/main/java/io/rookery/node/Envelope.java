package io.rookery.node;

import io.rookery.api.AgentId;

/**
 * A message on its way to an agent's turn.
 */
final class Envelope
{
    final AgentId target;
    final int partition;
    final byte[] payload;
    final AgentId sender;
    final boolean expectsReply;
    final Replier replier;
    final long deadlineMs;
    final byte[] firedTimerKey;
    final int sourcePartition;
    final long sequence;
    final long sourceTerm;
    final String idempotencyKey;
    /** The local group replica the envelope was handed to; set when it is queued for a loop. */
    GroupRuntime group;
    /** Not a message for the agent: a request to delete its state (set before the envelope is queued). */
    boolean deleteState;

    Envelope(
        final AgentId target,
        final int partition,
        final byte[] payload,
        final AgentId sender,
        final boolean expectsReply,
        final Replier replier,
        final long deadlineMs)
    {
        this(target, partition, payload, sender, expectsReply, replier, deadlineMs, null, -1, 0, -1, null);
    }

    /**
     * An external request that may carry an idempotency key.
     */
    static Envelope request(
        final AgentId target,
        final int partition,
        final byte[] payload,
        final boolean expectsReply,
        final Replier replier,
        final long deadlineMs,
        final String idempotencyKey)
    {
        return new Envelope(target, partition, payload, null, expectsReply, replier, deadlineMs, null, -1, 0, -1,
            idempotencyKey == null || idempotencyKey.isEmpty() ? null : idempotencyKey);
    }

    /**
     * A request from outside to delete an agent's state; its handler does not run.
     */
    static Envelope delete(
        final AgentId target,
        final int partition,
        final Replier replier,
        final long deadlineMs,
        final String idempotencyKey)
    {
        final Envelope envelope = request(target, partition, new byte[0], true, replier, deadlineMs, idempotencyKey);
        envelope.deleteState = true;
        return envelope;
    }

    /**
     * A durable message from another partition's outbox.
     */
    static Envelope fromOutbox(
        final AgentId target,
        final int partition,
        final byte[] payload,
        final AgentId sender,
        final boolean expectsReply,
        final int sourcePartition,
        final long sequence,
        final long sourceTerm)
    {
        return new Envelope(target, partition, payload, sender, expectsReply, Replier.NONE, 0, null, sourcePartition,
            sequence, sourceTerm, null);
    }

    /**
     * The firing of a durable timer.
     */
    static Envelope timer(final AgentId target, final int partition, final byte[] payload, final byte[] timerKey)
    {
        return new Envelope(target, partition, payload, null, false, Replier.NONE, 0, timerKey, -1, 0, -1, null);
    }

    private Envelope(
        final AgentId target,
        final int partition,
        final byte[] payload,
        final AgentId sender,
        final boolean expectsReply,
        final Replier replier,
        final long deadlineMs,
        final byte[] firedTimerKey,
        final int sourcePartition,
        final long sequence,
        final long sourceTerm,
        final String idempotencyKey)
    {
        this.firedTimerKey = firedTimerKey;
        this.sourcePartition = sourcePartition;
        this.sequence = sequence;
        this.sourceTerm = sourceTerm;
        this.idempotencyKey = idempotencyKey;
        this.target = target;
        this.partition = partition;
        this.payload = payload;
        this.sender = sender;
        this.expectsReply = expectsReply;
        this.replier = replier;
        this.deadlineMs = deadlineMs;
    }
}
