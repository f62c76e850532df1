package io.rookery.jmh.transport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
    private final Path secretFile;

    /**
     * @param crossNode     whether the agent's partition is led by the other node.
     * @param payloadLength bytes per tell.
     * @param mtu           Aeron MTU of both nodes; 0 for the node's default.
     * @param secret        whether the nodes share a cluster secret (authenticated gossip and frames).
     */
    public EphemeralTellLink(final boolean crossNode, final int payloadLength, final int mtu, final boolean secret)
    {
        secretFile = secret ? writeSecret() : null;
        // Leaders stay put: a leadership moved by balancing mid-run would drop the tells in flight (at most once).
        cluster = TestCluster.start(2, ctx -> ctx.replicationFactor(2).partitionLoops(1).aeronMtu(mtu)
            .balanceLeaders(false).clusterSecretFile(secretFile));
        cluster.awaitAllPartitionsLed(Duration.ofSeconds(120));
        // With balancing off one node may lead both groups: the sender is picked to suit the route.
        target = AgentId.of(BenchSinkAgent.NAME, "sink-0");
        final RookeryNode server = cluster.servingLeader(cluster.node(0).partitionOf(target));
        from = !crossNode ? server : server == cluster.node(0) ? cluster.node(1) : cluster.node(0);
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
        try
        {
            cluster.close();
        }
        finally
        {
            if (secretFile != null)
            {
                TestCluster.deleteRecursively(secretFile.getParent());
            }
        }
    }

    private static Path writeSecret()
    {
        try
        {
            final Path file = Files.createTempDirectory("rookery-bench-secret-").resolve("cluster.secret");
            Files.writeString(file, "a-benchmark-cluster-secret-0123456789\n");
            return file;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
