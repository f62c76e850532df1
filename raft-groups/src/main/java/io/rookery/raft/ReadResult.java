package io.rookery.raft;

/**
 * The outcome of a linearizable read, in the terms the runtime acts on (no Ratis types).
 *
 * @param status     what happened.
 * @param value      the committed value when {@link Status#FOUND}, else null.
 * @param leaderHint when {@link Status#NOT_LEADER}, the leader this replica knows of, or null.
 * @param detail     a readable reason when {@link Status#FAILED}.
 */
public record ReadResult(Status status, byte[] value, String leaderHint, String detail)
{
    /**
     * Outcomes of a read.
     */
    public enum Status
    {
        /** The key has a committed value. */
        FOUND,
        /** The key has no committed value. */
        MISSING,
        /** The group does not own the partition (any more, or not yet): ask its owner. */
        NOT_OWNER,
        /** This replica does not lead the group. */
        NOT_LEADER,
        /** Leadership is changing or not yet serving; nothing was read, ask again. */
        RETRY,
        /** The read failed for another reason. */
        FAILED
    }

    static ReadResult found(final byte[] value)
    {
        return new ReadResult(Status.FOUND, value, null, null);
    }

    static ReadResult of(final Status status)
    {
        return new ReadResult(status, null, null, null);
    }

    static ReadResult notLeader(final String hint)
    {
        return new ReadResult(Status.NOT_LEADER, null, hint, null);
    }

    static ReadResult failed(final String detail)
    {
        return new ReadResult(Status.FAILED, null, null, detail);
    }
}
