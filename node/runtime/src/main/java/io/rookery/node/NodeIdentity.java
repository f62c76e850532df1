package io.rookery.node;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Properties;
import java.util.UUID;

/**
 * What a node's data directory says about the node: its id, the cluster it belongs to, the
 * cluster's partition count, and whether it already created its initial replicas. Written once
 * and checked at every start, so a data directory can never be reused for another cluster.
 *
 * @param nodeId         the node's id.
 * @param clusterId      the cluster's id.
 * @param partitionCount the cluster's P.
 * @param bootstrapped   whether the node has created its initial replicas or joined.
 */
record NodeIdentity(String nodeId, String clusterId, int partitionCount, boolean bootstrapped)
{
    static final String FILE = "node.properties";
    /**
     * The on-disk layout this build writes: a few Raft groups, each holding many partitions. Layout
     * 1 (one group per partition, keys without a group prefix) is not readable by it.
     */
    static final int LAYOUT = 2;

    /**
     * Loads the identity of a data directory, creating it on first start.
     *
     * @param dataDir        the node's data directory.
     * @param nodeId         configured node id, or null to keep (or generate) the stored one.
     * @param clusterId      configured cluster id.
     * @param partitionCount configured P.
     * @return the identity.
     * @throws IllegalStateException naming the mismatch when the directory belongs to another
     *                               node, cluster or partition count.
     */
    static NodeIdentity loadOrCreate(
        final Path dataDir, final String nodeId, final String clusterId, final int partitionCount)
    {
        final Path file = dataDir.resolve(FILE);
        try
        {
            Files.createDirectories(dataDir);
            if (!Files.exists(file))
            {
                final String id = nodeId != null ? nodeId : "node-" + UUID.randomUUID().toString().substring(0, 8);
                final NodeIdentity created = new NodeIdentity(id, clusterId, partitionCount, false);
                created.save(dataDir);
                return created;
            }
            final Properties props = new Properties();
            try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8))
            {
                props.load(reader);
            }
            final int layout = Integer.parseInt(props.getProperty("layout", "1"));
            if (layout != LAYOUT)
            {
                throw new IllegalStateException("data directory " + dataDir + " has layout " + layout + " (" +
                    (layout == 1 ? "one Raft group per partition, from an older Rookery" : "unknown") +
                    "); this build reads layout " + LAYOUT + ": start it with a fresh data directory");
            }
            final NodeIdentity stored = new NodeIdentity(
                props.getProperty("node.id"),
                props.getProperty("cluster.id"),
                Integer.parseInt(props.getProperty("partitions")),
                Boolean.parseBoolean(props.getProperty("bootstrapped", "false")));
            if (nodeId != null && !nodeId.equals(stored.nodeId()))
            {
                throw new IllegalStateException("data directory " + dataDir + " belongs to node '" + stored.nodeId() +
                    "', not '" + nodeId + "'");
            }
            if (!clusterId.equals(stored.clusterId()))
            {
                throw new IllegalStateException("data directory " + dataDir + " belongs to cluster '" +
                    stored.clusterId() + "', not '" + clusterId + "'");
            }
            if (partitionCount != stored.partitionCount())
            {
                throw new IllegalStateException("data directory " + dataDir + " was created with " +
                    stored.partitionCount() + " partitions, not " + partitionCount +
                    " (the partition count is fixed when a cluster is created)");
            }
            return stored;
        }
        catch (final IOException | NumberFormatException ex)
        {
            throw new IllegalStateException("cannot read or write " + file, ex);
        }
    }

    NodeIdentity markBootstrapped(final Path dataDir)
    {
        final NodeIdentity updated = new NodeIdentity(nodeId, clusterId, partitionCount, true);
        updated.save(dataDir);
        return updated;
    }

    private void save(final Path dataDir)
    {
        final Properties props = new Properties();
        props.setProperty("node.id", nodeId);
        props.setProperty("cluster.id", clusterId);
        props.setProperty("partitions", Integer.toString(partitionCount));
        props.setProperty("bootstrapped", Boolean.toString(bootstrapped));
        props.setProperty("layout", Integer.toString(LAYOUT));
        final Path tmp = dataDir.resolve(FILE + ".tmp");
        try
        {
            try (Writer writer = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8))
            {
                props.store(writer, "Rookery node identity: do not edit");
            }
            Files.move(tmp, dataDir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot write " + dataDir.resolve(FILE), ex);
        }
    }
}
