package io.rookery.storage;

/**
 * Position of the last Raft log entry applied to a group's key range.
 *
 * @param term  term of that entry.
 * @param index index of that entry; {@link #NONE} before anything was applied.
 */
public record AppliedIndex(long term, long index)
{
    /** Index of a group to which nothing was applied. */
    public static final long NONE = -1;

    /** A group to which nothing was applied. */
    public static final AppliedIndex INITIAL = new AppliedIndex(0, NONE);
}
