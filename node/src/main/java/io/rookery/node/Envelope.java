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

    Envelope(
        final AgentId target,
        final int partition,
        final byte[] payload,
        final AgentId sender,
        final boolean expectsReply,
        final Replier replier,
        final long deadlineMs)
    {
        this(target, partition, payload, sender, expectsReply, replier, deadlineMs, null);
    }

    /**
     * @param firedTimerKey store key of the durable timer this message is the firing of, whose
     *                      removal commits with the turn; null for ordinary messages.
     */
    Envelope(
        final AgentId target,
        final int partition,
        final byte[] payload,
        final AgentId sender,
        final boolean expectsReply,
        final Replier replier,
        final long deadlineMs,
        final byte[] firedTimerKey)
    {
        this.firedTimerKey = firedTimerKey;
        this.target = target;
        this.partition = partition;
        this.payload = payload;
        this.sender = sender;
        this.expectsReply = expectsReply;
        this.replier = replier;
        this.deadlineMs = deadlineMs;
    }
}
