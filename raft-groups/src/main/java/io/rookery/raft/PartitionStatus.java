package io.rookery.raft;

import java.util.List;

/**
 * What this node knows about one partition group, for {@code /cluster} and for placement.
 *
 * @param partition    the partition.
 * @param hosted       whether this node hosts a replica.
 * @param role         LEADER, FOLLOWER, CANDIDATE, LISTENER, or NONE when not hosted.
 * @param leaderNodeId the leader this replica knows of, or null.
 * @param term         current term seen by this replica.
 * @param commitIndex  highest index known committed.
 * @param appliedIndex highest index applied to the local store.
 * @param replicas     the group's configured members with their replication lag (lag is only
 *                     known on the leader; -1 elsewhere).
 */
public record PartitionStatus(
    int partition,
    boolean hosted,
    String role,
    String leaderNodeId,
    long term,
    long commitIndex,
    long appliedIndex,
    List<Replica> replicas)
{
    /**
     * One member of a partition group.
     *
     * @param nodeId     member node id.
     * @param address    its Raft endpoint.
     * @param matchIndex highest index the leader knows it has (leader only, else -1).
     * @param lag        commit index minus match index (leader only, else -1).
     */
    public record Replica(String nodeId, String address, long matchIndex, long lag)
    {
    }

    /**
     * @param partition a partition this node does not host.
     * @return its status.
     */
    public static PartitionStatus notHosted(final int partition)
    {
        return new PartitionStatus(partition, false, "NONE", null, -1, -1, -1, List.of());
    }

    /** @return whether this replica is the leader. */
    public boolean isLeader()
    {
        return "LEADER".equals(role);
    }
}
