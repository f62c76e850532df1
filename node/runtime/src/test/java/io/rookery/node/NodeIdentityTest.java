package io.rookery.node;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NodeIdentityTest
{
    @TempDir
    Path dir;

    @Test
    void isCreatedOnceThenCheckedAtEveryStart()
    {
        final NodeIdentity created = NodeIdentity.loadOrCreate(dir, "n1", "prod", 16);
        assertThat(created).isEqualTo(new NodeIdentity("n1", "prod", 16, false));
        created.markBootstrapped(dir);
        assertThat(NodeIdentity.loadOrCreate(dir, null, "prod", 16))
            .isEqualTo(new NodeIdentity("n1", "prod", 16, true));
    }

    @Test
    void refusesAnotherNodeClusterOrPartitionCountNamingTheMismatch()
    {
        NodeIdentity.loadOrCreate(dir, "n1", "prod", 16);
        assertThatThrownBy(() -> NodeIdentity.loadOrCreate(dir, "n2", "prod", 16))
            .hasMessageContaining("belongs to node 'n1'");
        assertThatThrownBy(() -> NodeIdentity.loadOrCreate(dir, "n1", "staging", 16))
            .hasMessageContaining("belongs to cluster 'prod'");
        assertThatThrownBy(() -> NodeIdentity.loadOrCreate(dir, "n1", "prod", 32))
            .hasMessageContaining("created with 16 partitions");
    }

    @Test
    void refusesADataDirectoryOfTheOlderOneGroupPerPartitionLayout() throws Exception
    {
        java.nio.file.Files.writeString(dir.resolve(NodeIdentity.FILE),
            "node.id=n1\ncluster.id=prod\npartitions=16\nbootstrapped=true\n");

        assertThatThrownBy(() -> NodeIdentity.loadOrCreate(dir, "n1", "prod", 16))
            .hasMessageContaining("layout 1 (one Raft group per partition")
            .hasMessageContaining("fresh data directory");
    }

    @Test
    void generatesAnIdWhenNoneIsConfigured()
    {
        final NodeIdentity generated = NodeIdentity.loadOrCreate(dir, null, "c", 8);
        assertThat(generated.nodeId()).startsWith("node-");
        assertThat(NodeIdentity.loadOrCreate(dir, null, "c", 8).nodeId()).isEqualTo(generated.nodeId());
    }
}
