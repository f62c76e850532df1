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

    Envelope(
        final AgentId target,
        final int partition,
        final byte[] payload,
        final AgentId sender,
        final boolean expectsReply,
        final Replier replier,
        final long deadlineMs)
    {
        this.target = target;
        this.partition = partition;
        this.payload = payload;
        this.sender = sender;
        this.expectsReply = expectsReply;
        this.replier = replier;
        this.deadlineMs = deadlineMs;
    }
}
