package io.rookery.transport;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Counters of one transport. Written by the transport's threads, read by anyone (metrics, tests).
 */
public final class TransportCounters
{
    final AtomicLong framesSent = new AtomicLong();
    final AtomicLong batchesSent = new AtomicLong();
    final AtomicLong bytesSent = new AtomicLong();
    final AtomicLong framesReceived = new AtomicLong();
    final AtomicLong bytesReceived = new AtomicLong();
    final AtomicLong backPressured = new AtomicLong();
    final AtomicLong notConnected = new AtomicLong();
    final AtomicLong pendingDropped = new AtomicLong();
    final AtomicLong outboundFull = new AtomicLong();
    final AtomicLong tooLarge = new AtomicLong();
    final AtomicLong unknownPeer = new AtomicLong();
    final AtomicLong handlerErrors = new AtomicLong();
    final AtomicLong errors = new AtomicLong();
    final AtomicLong reconnects = new AtomicLong();
    final AtomicLong rejected = new AtomicLong();
    final AtomicLongArray malformed = new AtomicLongArray(FrameValidator.REASON_COUNT);

    /** @return frames handed to a publication. */
    public long framesSent()
    {
        return framesSent.get();
    }

    /** @return Aeron messages that carried more than one frame. */
    public long batchesSent()
    {
        return batchesSent.get();
    }

    /** @return bytes handed to a publication. */
    public long bytesSent()
    {
        return bytesSent.get();
    }

    /** @return valid frames received and passed to the handler. */
    public long framesReceived()
    {
        return framesReceived.get();
    }

    /** @return bytes of valid frames received. */
    public long bytesReceived()
    {
        return bytesReceived.get();
    }

    /** @return offers refused with BACK_PRESSURED (the frame was kept in the peer's pending queue). */
    public long backPressured()
    {
        return backPressured.get();
    }

    /** @return offers refused with NOT_CONNECTED (the frame was kept in the peer's pending queue). */
    public long notConnected()
    {
        return notConnected.get();
    }

    /** @return frames dropped because a peer's bounded pending queue was full, or the peer left. */
    public long pendingDropped()
    {
        return pendingDropped.get();
    }

    /** @return sends refused because the outbound ring buffer was full. */
    public long outboundFull()
    {
        return outboundFull.get();
    }

    /** @return sends refused because the frame exceeded the maximum frame length. */
    public long tooLarge()
    {
        return tooLarge.get();
    }

    /** @return frames addressed to a peer the transport does not know. */
    public long unknownPeer()
    {
        return unknownPeer.get();
    }

    /** @return exceptions thrown by the frame handler (each was caught, counted and logged). */
    public long handlerErrors()
    {
        return handlerErrors.get();
    }

    /** @return errors reported by Aeron or the conductor (logged at a bounded rate). */
    public long errors()
    {
        return errors.get();
    }

    /**
     * @return times the Aeron client was found closed under the transport (for example after the
     * process was paused for longer than the driver timeout) and was connected again.
     */
    public long reconnects()
    {
        return reconnects.get();
    }

    /**
     * @return datagrams dropped because they did not carry a valid MAC under the cluster's frame key
     * (sent by a node without the cluster secret, or forged or corrupted on the way).
     */
    public long rejected()
    {
        return rejected.get();
    }

    /**
     * @param reason one of the {@link FrameValidator} reasons.
     * @return frames dropped for that reason.
     */
    public long malformed(final int reason)
    {
        return malformed.get(reason);
    }

    /** @return frames dropped for any structural reason. */
    public long malformedTotal()
    {
        long total = 0;
        for (int i = 1; i < FrameValidator.REASON_COUNT; i++)
        {
            total += malformed.get(i);
        }
        return total;
    }
}
