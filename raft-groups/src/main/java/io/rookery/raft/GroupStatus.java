package io.rookery.raft;

import java.util.List;

/**
 * What this node knows of one Raft group.
 *
 * @param group        the group's key.
 * @param name         the group's name (its home node), or null before its genesis is applied.
 * @param hosted       whether this node holds a replica.
 * @param role         this replica's role (LEADER, FOLLOWER, CANDIDATE, ...), or NONE.
 * @param leaderNodeId the leader this replica knows of, or null.
 * @param term         this replica's current term, -1 when not hosted.
 * @param commitIndex  the commit index this replica knows of.
 * @param appliedIndex the last index applied here.
 * @param replicas     the group's members, with their match index and lag as the leader sees them
 *                     (-1 on followers).
 */
public record GroupStatus(
    long group,
    String name,
    boolean hosted,
    String role,
    String leaderNodeId,
    long term,
    long commitIndex,
    long appliedIndex,
    List<Replica> replicas)
{
    /**
     * @param group the group's key.
     * @return the status of a group this node does not host.
     */
    public static GroupStatus notHosted(final long group)
    {
        return new GroupStatus(group, null, false, "NONE", null, -1, -1, -1, List.of());
    }

    /**
     * One member of the group.
     *
     * @param nodeId     the member.
     * @param address    its Raft address.
     * @param matchIndex    highest index the leader knows replicated there in its current term, -1
     *                      when unknown (this node does not lead, or the member has not answered the
     *                      leader yet).
     * @param lag           entries behind the commit index (leader's view), -1 when unknown.
     * @param lastContactMs time since the member last answered the leader, -1 when unknown.
     */
    public record Replica(String nodeId, String address, long matchIndex, long lag, long lastContactMs)
    {
        /**
         * @param withinMs how recent the member's last answer must be.
         * @return whether the leader knows the member holds nearly all its log and answers now.
         */
        public boolean caughtUp(final long withinMs)
        {
            return matchIndex >= 0 && lag >= 0 && lag < CAUGHT_UP_LAG && lastContactMs >= 0 && lastContactMs < withinMs;
        }
    }

    /** Entries a member may be behind and still count as caught up (a leadership transfer target). */
    public static final long CAUGHT_UP_LAG = 1000;
}
