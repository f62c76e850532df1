package io.rookery.jmh.transport;

import java.time.Duration;

import io.rookery.api.AgentId;
import io.rookery.jmh.Link;
import io.rookery.node.RookeryNode;
import io.rookery.testing.TestCluster;

/**
 * Tells to an ephemeral agent through the whole runtime: two real nodes (each with its media
 * driver, Raft groups, gossip and partition loops) in this JVM; the benchmark thread calls
 * {@link RookeryNode#tellEphemeral} on the first node, for an agent whose partition is led by the
 * second (across nodes, over Aeron) or by the first (same node, straight into its loop).
 */
public final class EphemeralTellLink implements Link
{
    private final TestCluster cluster;
    private final RookeryNode from;
    private final AgentId target;
    private final byte[] payload;
    private final long baseline;

    /**
     * @param crossNode     whether the agent's partition is led by the other node.
     * @param payloadLength bytes per tell.
     * @param mtu           Aeron MTU of both nodes; 0 for the node's default.
     */
    public EphemeralTellLink(final boolean crossNode, final int payloadLength, final int mtu)
    {
        // Leaders stay put: a leadership moved by balancing mid-run would drop the tells in flight (at most once).
        cluster = TestCluster.start(2, ctx -> ctx.replicationFactor(2).partitionLoops(1).aeronMtu(mtu)
            .balanceLeaders(false));
        cluster.awaitAllPartitionsLed(Duration.ofSeconds(120));
        from = cluster.node(0);
        final RookeryNode wanted = crossNode ? cluster.node(1) : from;
        AgentId candidate = null;
        for (int i = 0; candidate == null; i++)
        {
            final AgentId id = AgentId.of(BenchSinkAgent.NAME, "sink-" + i);
            if (cluster.servingLeader(from.partitionOf(id)) == wanted)
            {
                candidate = id;
            }
        }
        target = candidate;
        payload = new byte[payloadLength];
        baseline = BenchSinkAgent.HANDLED.get();
    }

    public boolean trySend()
    {
        return from.tellEphemeral(target, payload);
    }

    public long received()
    {
        return BenchSinkAgent.HANDLED.get() - baseline;
    }

    public void close()
    {
        cluster.close();
    }
}
