package io.rookery.raft;

import java.util.List;

/**
 * One page of a linearizable scan ({@link RaftGroups#scan}).
 *
 * @param status     FOUND when the page was read; otherwise why not, as for a single read.
 * @param pairs      keys (within the partition) and values, in key order; empty unless FOUND.
 * @param more       whether keys under the prefix follow the last one of the page.
 * @param leaderHint with NOT_LEADER: the node believed to lead, or null.
 * @param detail     with FAILED: what went wrong.
 */
public record ScanPage(ReadResult.Status status, List<byte[][]> pairs, boolean more, String leaderHint, String detail)
{
    static ScanPage of(final ReadResult failure)
    {
        return new ScanPage(failure.status(), List.of(), false, failure.leaderHint(), failure.detail());
    }
}
