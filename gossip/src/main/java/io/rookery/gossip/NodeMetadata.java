package io.rookery.gossip;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Objects;

/**
 * What a node tells every other node about itself through gossip.
 *
 * @param nodeId         stable identity of the node.
 * @param clusterId      cluster the node belongs to; nodes of other clusters are refused.
 * @param partitionCount P, fixed when the cluster was created.
 * @param aeronEndpoint  {@code host:port} the node receives agent frames on.
 * @param raftEndpoint   {@code host:port} of the node's Raft server.
 * @param httpEndpoint   {@code host:port} of the node's HTTP ingress.
 * @param state          life-cycle state.
 * @param leaderTerms    for each partition, the term in which this node leads it, or -1: a hint
 *                       for routing, always checked against the term in the frames themselves.
 * @param hosted         bit set (64 partitions per word) of the partitions this node holds a
 *                       replica of; lets a group's leader spot a stale replica left on a node.
 * @param movesInProgress replica moves this node is driving now; leaders add these up across the
 *                       cluster to keep the number of concurrent moves bounded.
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
    long[] leaderTerms,
    long[] hosted,
    int movesInProgress) implements Serializable
{
    /** Term value meaning "does not lead this partition". */
    public static final long NOT_LEADER = -1;

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
        Objects.requireNonNull(leaderTerms, "leaderTerms");
        Objects.requireNonNull(hosted, "hosted");
        if (partitionCount <= 0 || partitionCount > 65535)
        {
            throw new IllegalArgumentException("partitionCount out of range: " + partitionCount);
        }
        if (leaderTerms.length != partitionCount)
        {
            throw new IllegalArgumentException("leaderTerms must have one entry per partition");
        }
        if (hosted.length != words(partitionCount))
        {
            throw new IllegalArgumentException("hosted must have one bit per partition");
        }
        if (movesInProgress < 0)
        {
            throw new IllegalArgumentException("movesInProgress must not be negative");
        }
    }

    /**
     * Metadata that hosts nothing and moves nothing.
     *
     * @param nodeId         stable identity.
     * @param clusterId      cluster id.
     * @param partitionCount P.
     * @param aeronEndpoint  agent frames endpoint.
     * @param raftEndpoint   Raft endpoint.
     * @param httpEndpoint   HTTP endpoint.
     * @param state          life-cycle state.
     * @param leaderTerms    per-partition leader terms.
     */
    public NodeMetadata(
        final String nodeId,
        final String clusterId,
        final int partitionCount,
        final String aeronEndpoint,
        final String raftEndpoint,
        final String httpEndpoint,
        final NodeState state,
        final long[] leaderTerms)
    {
        this(nodeId, clusterId, partitionCount, aeronEndpoint, raftEndpoint, httpEndpoint, state, leaderTerms,
            new long[words(partitionCount)], 0);
    }

    static int words(final int partitionCount)
    {
        return Math.max(0, (partitionCount + 63) / 64);
    }

    /**
     * @param nodeId         stable identity.
     * @param clusterId      cluster id.
     * @param partitionCount P.
     * @param aeronEndpoint  agent frames endpoint.
     * @param raftEndpoint   Raft endpoint.
     * @param httpEndpoint   HTTP endpoint.
     * @return metadata of a joining node that leads nothing yet.
     */
    public static NodeMetadata joining(
        final String nodeId,
        final String clusterId,
        final int partitionCount,
        final String aeronEndpoint,
        final String raftEndpoint,
        final String httpEndpoint)
    {
        final long[] terms = new long[partitionCount];
        Arrays.fill(terms, NOT_LEADER);
        return new NodeMetadata(
            nodeId, clusterId, partitionCount, aeronEndpoint, raftEndpoint, httpEndpoint, NodeState.JOINING, terms);
    }

    /**
     * @param newState state to announce.
     * @return a copy in the new state.
     */
    public NodeMetadata withState(final NodeState newState)
    {
        return new NodeMetadata(nodeId, clusterId, partitionCount, aeronEndpoint, raftEndpoint, httpEndpoint,
            newState, leaderTerms, hosted, movesInProgress);
    }

    /**
     * @param terms per-partition leader terms (copied).
     * @return a copy announcing these leaderships.
     */
    public NodeMetadata withLeaderTerms(final long[] terms)
    {
        return new NodeMetadata(nodeId, clusterId, partitionCount, aeronEndpoint, raftEndpoint, httpEndpoint,
            state, terms.clone(), hosted, movesInProgress);
    }

    /**
     * @param partitions the partitions this node holds a replica of.
     * @return a copy announcing them.
     */
    public NodeMetadata withHosted(final java.util.Collection<Integer> partitions)
    {
        final long[] bits = new long[words(partitionCount)];
        for (final int p : partitions)
        {
            bits[p >>> 6] |= 1L << (p & 63);
        }
        return new NodeMetadata(nodeId, clusterId, partitionCount, aeronEndpoint, raftEndpoint, httpEndpoint,
            state, leaderTerms, bits, movesInProgress);
    }

    /**
     * @param moves replica moves this node drives now.
     * @return a copy announcing them.
     */
    public NodeMetadata withMovesInProgress(final int moves)
    {
        return new NodeMetadata(nodeId, clusterId, partitionCount, aeronEndpoint, raftEndpoint, httpEndpoint,
            state, leaderTerms, hosted, moves);
    }

    /**
     * @param partition a partition.
     * @return whether this node announces a replica of it.
     */
    public boolean hosts(final int partition)
    {
        return (hosted[partition >>> 6] & (1L << (partition & 63))) != 0;
    }

    /**
     * @param partition a partition.
     * @return the term in which this node claims to lead it, or {@link #NOT_LEADER}.
     */
    public long leaderTerm(final int partition)
    {
        return leaderTerms[partition];
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
            Arrays.equals(leaderTerms, that.leaderTerms) &&
            Arrays.equals(hosted, that.hosted);
    }

    public int hashCode()
    {
        final int fields = Objects.hash(nodeId, clusterId, partitionCount, aeronEndpoint, state);
        return (fields * 31 + Arrays.hashCode(leaderTerms)) * 31 + Arrays.hashCode(hosted) + movesInProgress;
    }

    public String toString()
    {
        return "NodeMetadata{" + nodeId + " cluster=" + clusterId + " P=" + partitionCount + " state=" + state +
            " aeron=" + aeronEndpoint + " raft=" + raftEndpoint + " http=" + httpEndpoint + "}";
    }
}
