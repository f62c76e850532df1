package io.rookery.raft;

/**
 * Counters of one group's state machine on this node.
 *
 * @param snapshotsTaken     snapshots written by this replica.
 * @param snapshotsInstalled snapshots received from a leader and installed.
 * @param fencedEntries      entries not applied because they came from a stale leader.
 * @param droppedWrites      writes dropped for a partition the group did not own (a bug if non-zero).
 * @param lastSnapshotBytes  size of the last snapshot written.
 * @param lastSnapshotNanos  time the last snapshot took.
 */
public record GroupStats(
    long snapshotsTaken,
    long snapshotsInstalled,
    long fencedEntries,
    long droppedWrites,
    long lastSnapshotBytes,
    long lastSnapshotNanos)
{
}
