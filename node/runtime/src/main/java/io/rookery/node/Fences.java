package io.rookery.node;

/**
 * The fencing token of a partition's leadership: the partition's owner epoch and the Raft term of
 * the owning group's leader, as one number that only grows. A partition that moves to another group
 * starts that group's term count afresh, which may be lower than the old group's; the epoch, higher
 * after every move, keeps the token ordered. Durable messages carry it as their source fence, so a
 * target drops frames from a deposed leader of the source partition wherever it lives.
 */
final class Fences
{
    private static final int TERM_BITS = 40;
    private static final long TERM_MASK = (1L << TERM_BITS) - 1;

    private Fences()
    {
    }

    /**
     * @param epoch the partition's owner epoch (below 2^23).
     * @param term  the owning group leader's term (below 2^40).
     * @return the token.
     */
    static long of(final long epoch, final long term)
    {
        return (epoch << TERM_BITS) | (term & TERM_MASK);
    }

    static long epochOf(final long fence)
    {
        return fence >>> TERM_BITS;
    }

    static long termOf(final long fence)
    {
        return fence & TERM_MASK;
    }
}
