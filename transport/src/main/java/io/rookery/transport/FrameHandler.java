package io.rookery.transport;

import org.agrona.DirectBuffer;

/**
 * Receives frames that arrived from peers, on the transport's own thread.
 * <p>
 * The frame has already passed {@link FrameValidator}: its header names our schema and a version we
 * understand, its template is known and every variable-length field lies within {@code length}.
 * The buffer is only valid for the duration of the call; copy what must outlive it.
 */
@FunctionalInterface
public interface FrameHandler
{
    /**
     * @param buffer holding the frame.
     * @param offset of the SBE message header.
     * @param length of the whole frame, header included.
     */
    void onFrame(DirectBuffer buffer, int offset, int length);
}
