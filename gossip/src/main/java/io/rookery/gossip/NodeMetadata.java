package io.rookery.gossip;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * What a node tells every other node about itself through gossip.
 *
 * @param nodeId          stable identity of the node.
 * @param clusterId       cluster the node belongs to; nodes of other clusters are refused.
 * @param partitionCount  P, fixed when the cluster was created.
 * @param aeronEndpoint   {@code host:port} the node receives agent frames on.
 * @param raftEndpoint    {@code host:port} of the node's Raft server.
 * @param httpEndpoint    {@code host:port} of the node's HTTP ingress.
 * @param state           life-cycle state.
 * @param leads           the Raft groups this node leads and serves, with the partitions each owns:
 *                        a hint for routing, always checked against the terms in the frames.
 * @param hostedGroups    keys of the groups this node holds a replica of, ascending; lets a group's
 *                        leader spot a stale replica left on a node.
 * @param movesInProgress replica and partition moves this node is driving now; leaders add these up
 *                        across the cluster to keep the number of concurrent moves bounded.
 * <p>
 * {@link Serializable} only because ScaleCube's config check demands it; it always travels
 * through {@link NodeMetadataCodec}.
 */
public record NodeMetadata(
    String nodeId,
    String clusterId,
    int partitionCount,
    String aeronEndpoint,
    String raftEndpoint,
    String httpEndpoint,
    NodeState state,
    List<GroupClaim> leads,
    long[] hostedGroups,
    int movesInProgress) implements Serializable
{
    /**
     * Validates the fields.
     */
    public NodeMetadata
    {
        Objects.requireNonNull(nodeId, "nodeId");
        Objects.requireNonNull(clusterId, "clusterId");
        Objects.requireNonNull(aeronEndpoint, "aeronEndpoint");
        Objects.requireNonNull(raftEndpoint, "raftEndpoint");
        Objects.requireNonNull(httpEndpoint, "httpEndpoint");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(leads, "leads");
        Objects.requireNonNull(hostedGroups, "hostedGroups");
        leads = List.copyOf(leads);
        if (partitionCount <= 0 || partitionCount > 65535)
        {
            throw new IllegalArgumentException("partitionCount out of range: " + partitionCount);
        }
        for (final GroupClaim claim : leads)
        {
            if (claim.size() > 0 && claim.partitions()[claim.size() - 1] >= partitionCount)
            {
                throw new IllegalArgumentException("claim of " + claim + " names a partition beyond " + partitionCount);
            }
        }
        if (movesInProgress < 0)
        {
            throw new IllegalArgumentException("movesInProgress must not be negative");
        }
    }

    /**
     * @param nodeId         stable identity.
     * @param clusterId      cluster id.
     * @param partitionCount P.
     * @param aeronEndpoint  agent frames endpoint.
     * @param raftEndpoint   Raft endpoint.
     * @param httpEndpoint   HTTP endpoint.
     * @return metadata of a joining node that leads and hosts nothing yet.
     */
    public static NodeMetadata joining(
        final String nodeId,
        final String clusterId,
        final int partitionCount,
        final String aeronEndpoint,
        final String raftEndpoint,
        final String httpEndpoint)
    {
        return new NodeMetadata(nodeId, clusterId, partitionCount, aeronEndpoint, raftEndpoint, httpEndpoint,
            NodeState.JOINING, List.of(), new long[0], 0);
    }

    /**
     * @param newState state to announce.
     * @return a copy in the new state.
     */
    public NodeMetadata withState(final NodeState newState)
    {
        return new NodeMetadata(nodeId, clusterId, partitionCount, aeronEndpoint, raftEndpoint, httpEndpoint,
            newState, leads, hostedGroups, movesInProgress);
    }

    /**
     * @param claims the groups this node leads and serves.
     * @return a copy announcing these leaderships.
     */
    public NodeMetadata withLeads(final List<GroupClaim> claims)
    {
        return new NodeMetadata(nodeId, clusterId, partitionCount, aeronEndpoint, raftEndpoint, httpEndpoint,
            state, claims, hostedGroups, movesInProgress);
    }

    /**
     * @param groups keys of the groups this node holds a replica of.
     * @return a copy announcing them.
     */
    public NodeMetadata withHostedGroups(final java.util.Collection<Long> groups)
    {
        final long[] keys = groups.stream().mapToLong(Long::longValue).distinct().sorted().toArray();
        return new NodeMetadata(nodeId, clusterId, partitionCount, aeronEndpoint, raftEndpoint, httpEndpoint,
            state, leads, keys, movesInProgress);
    }

    /**
     * @param moves moves this node drives now.
     * @return a copy announcing them.
     */
    public NodeMetadata withMovesInProgress(final int moves)
    {
        return new NodeMetadata(nodeId, clusterId, partitionCount, aeronEndpoint, raftEndpoint, httpEndpoint,
            state, leads, hostedGroups, moves);
    }

    /**
     * @param group a group's key.
     * @return whether this node announces a replica of it.
     */
    public boolean hostsGroup(final long group)
    {
        return Arrays.binarySearch(hostedGroups, group) >= 0;
    }

    /**
     * @param group a group's key.
     * @return this node's claim to lead it, or null.
     */
    public GroupClaim claimOf(final long group)
    {
        for (final GroupClaim claim : leads)
        {
            if (claim.group() == group)
            {
                return claim;
            }
        }
        return null;
    }

    /** @return how many partitions this node serves, over every group it leads. */
    public int ledPartitions()
    {
        int led = 0;
        for (final GroupClaim claim : leads)
        {
            led += claim.size();
        }
        return led;
    }

    public boolean equals(final Object o)
    {
        if (this == o)
        {
            return true;
        }
        if (!(o instanceof NodeMetadata that))
        {
            return false;
        }
        return partitionCount == that.partitionCount &&
            nodeId.equals(that.nodeId) &&
            clusterId.equals(that.clusterId) &&
            aeronEndpoint.equals(that.aeronEndpoint) &&
            raftEndpoint.equals(that.raftEndpoint) &&
            httpEndpoint.equals(that.httpEndpoint) &&
            state == that.state &&
            movesInProgress == that.movesInProgress &&
            leads.equals(that.leads) &&
            Arrays.equals(hostedGroups, that.hostedGroups);
    }

    public int hashCode()
    {
        final int fields = Objects.hash(nodeId, clusterId, partitionCount, aeronEndpoint, state, leads);
        return fields * 31 + Arrays.hashCode(hostedGroups) + movesInProgress;
    }

    public String toString()
    {
        return "NodeMetadata{" + nodeId + " cluster=" + clusterId + " P=" + partitionCount + " state=" + state +
            " aeron=" + aeronEndpoint + " raft=" + raftEndpoint + " http=" + httpEndpoint + " leads=" + leads + "}";
    }
}
