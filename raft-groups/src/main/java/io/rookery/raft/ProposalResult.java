package io.rookery.raft;

/**
 * Outcome of proposing a log entry.
 *
 * @param status     what happened.
 * @param index      log index of the entry when it was committed, else -1.
 * @param leaderHint node id of the leader to go to on {@link Status#NOT_LEADER}, else null.
 */
public record ProposalResult(Status status, long index, String leaderHint)
{
    /**
     * What happened to a proposal.
     */
    public enum Status
    {
        /** Committed and applied. */
        APPLIED,
        /** Committed but not applied: it was computed in an older term than the one it was appended in. */
        FENCED,
        /** This node is not (or no longer, or not yet) the leader: nothing was appended. */
        NOT_LEADER,
        /** The outcome is unknown: the entry may or may not commit (timeout, shutdown, I/O error). */
        UNKNOWN
    }

    /**
     * @param index log index.
     * @return an applied result.
     */
    public static ProposalResult applied(final long index)
    {
        return new ProposalResult(Status.APPLIED, index, null);
    }

    /**
     * @param hint leader node id or null.
     * @return a not-leader result.
     */
    public static ProposalResult notLeader(final String hint)
    {
        return new ProposalResult(Status.NOT_LEADER, -1, hint);
    }
}
