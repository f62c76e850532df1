package io.rookery.node;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * The source side of one partition's handoff to another group, driven by the source group's
 * leader: seal (an entry of the source's log), send the sealed range chunk by chunk to the target
 * group's leader (each chunk an entry of the target's log), then release (an entry of the source's
 * log) once the target owns the partition. Created when the seal is proposed, or when a new leader
 * finds a sealed partition in the group's applied state, and dropped when the release is applied.
 * <p>
 * Only the sending is this object's: it decides which chunk goes next and when, from the target's
 * answers and a fake-clock-friendly time passed in; the log steps are the group runtime's. A chunk
 * the target never answered is sent again after {@link #REPLY_TIMEOUT_NS}; any doubt starts over
 * from the chunk the target says it expects, chunk 0 restarting the adoption, which is idempotent.
 */
final class Handoff
{
    /** How long a chunk may go unanswered before it is sent again. */
    static final long REPLY_TIMEOUT_NS = 5_000_000_000L;
    /** Pause before trying again after a refusal or while the target has no known leader. */
    static final long RETRY_NS = 200_000_000L;

    /** Where the handoff stands. */
    enum Step
    {
        /** The seal is proposed, not yet applied. */
        SEALING,
        /** Chunks are going to the target. */
        SENDING,
        /** The target owns the partition; the release is to be proposed. */
        RELEASING,
        /** The release is proposed. */
        RELEASE_PROPOSED
    }

    /** The target's answer to a chunk, in the payload of an OK response. */
    enum Answer
    {
        /** Send the chunk numbered in the answer next. */
        NEXT,
        /** The target owns the partition at the handoff's epoch or later. */
        DONE,
        /** The target is retired and takes nothing: choose another target. */
        RETIRED
    }

    final int partition;
    final long epoch;
    final long target;
    private Step step = Step.SEALING;
    private List<byte[]> chunks;
    private int next;
    private boolean awaiting;
    private long dueNs;
    private int sent;

    Handoff(final int partition, final long epoch, final long target)
    {
        this.partition = partition;
        this.epoch = epoch;
        this.target = target;
    }

    Step step()
    {
        return step;
    }

    int chunkCount()
    {
        return chunks == null ? 0 : chunks.size();
    }

    int chunksSent()
    {
        return sent;
    }

    /**
     * The seal is applied: the range can no longer change, and these are its chunks.
     */
    void sealed(final List<byte[]> rangeChunks, final long nowNs)
    {
        if (step == Step.SEALING)
        {
            chunks = rangeChunks;
            step = Step.SENDING;
            next = 0;
            awaiting = false;
            dueNs = nowNs;
        }
    }

    /**
     * @return the number of the chunk to send now, or -1 when nothing is to be sent yet.
     */
    int chunkToSend(final long nowNs)
    {
        if (step != Step.SENDING || nowNs - dueNs < 0)
        {
            return -1;
        }
        if (awaiting)
        {
            // No answer in time: the same chunk again.
            awaiting = false;
        }
        return next;
    }

    byte[] chunk(final int number)
    {
        return chunks.get(number);
    }

    boolean isLast(final int number)
    {
        return number == chunks.size() - 1;
    }

    /** The chunk went out; its answer is due within the reply timeout. */
    void sent(final long nowNs)
    {
        awaiting = true;
        sent++;
        dueNs = nowNs + REPLY_TIMEOUT_NS;
    }

    /** The chunk could not be sent, or the target's leader is unknown or busy: try again shortly. */
    void retryLater(final long nowNs)
    {
        awaiting = false;
        dueNs = nowNs + RETRY_NS;
    }

    /**
     * The target's answer to a chunk.
     *
     * @return true when the target is retired and the handoff must go elsewhere.
     */
    boolean answered(final Answer answer, final int expected, final long nowNs)
    {
        if (step != Step.SENDING)
        {
            return false;
        }
        awaiting = false;
        switch (answer)
        {
            case DONE -> step = Step.RELEASING;
            case NEXT ->
            {
                next = expected >= 0 && expected < chunks.size() ? expected : 0;
                dueNs = nowNs;
            }
            case RETIRED ->
            {
                dueNs = nowNs + RETRY_NS;
                return true;
            }
            default -> throw new IllegalStateException("answer " + answer);
        }
        return false;
    }

    /** The release entry is on its way. */
    void releaseProposed()
    {
        step = Step.RELEASE_PROPOSED;
    }

    /** The release entry did not commit: propose it again. */
    void releaseFailed()
    {
        if (step == Step.RELEASE_PROPOSED)
        {
            step = Step.RELEASING;
        }
    }

    static byte[] encodeAnswer(final Answer answer, final int expected)
    {
        return ByteBuffer.allocate(5).put((byte)answer.ordinal()).putInt(expected).array();
    }

    /**
     * @return the answer and the chunk expected, or null when the payload is not an answer.
     */
    static DecodedAnswer decodeAnswer(final byte[] payload)
    {
        if (payload == null || payload.length != 5 || payload[0] < 0 || payload[0] >= Answer.values().length)
        {
            return null;
        }
        return new DecodedAnswer(Answer.values()[payload[0]], ByteBuffer.wrap(payload, 1, 4).getInt());
    }

    /**
     * A decoded answer.
     *
     * @param answer   what the target said.
     * @param expected the chunk it expects next.
     */
    record DecodedAnswer(Answer answer, int expected)
    {
    }

    public String toString()
    {
        return "handoff of partition " + partition + " at epoch " + epoch + " to " + Long.toHexString(target) +
            " (" + step + (chunks == null ? "" : ", chunk " + next + "/" + chunks.size()) + ")";
    }
}
