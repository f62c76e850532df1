package io.rookery.raft;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

import io.rookery.storage.NodeStore;
import org.apache.ratis.protocol.RaftGroupId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What every node must compute identically without talking to the others (group keys, Ratis group
 * ids), and the fail-fast checks of the Raft settings. No Raft server is started.
 */
@Timeout(30)
class GroupKeysTest
{
    @TempDir
    Path dir;

    @Test
    void groupKeysAndIdsArePinned()
    {
        // Group keys prefix every key in the store and group ids name Ratis's directories: on-disk format.
        assertThat(GroupKeys.hex(GroupKeys.of("n1"))).isEqualTo("d96dec36d0bfaf1b");
        assertThat(GroupKeys.raftGroupId("rookery", GroupKeys.of("n1")).getUuid())
            .hasToString("5247ed44-b9dd-58ff-d96d-ec36d0bfaf1b");
    }

    @Test
    void aGroupIdCarriesItsKeyAndRefusesAnotherCluster()
    {
        final Set<RaftGroupId> ids = new HashSet<>();
        for (int i = 0; i < 500; i++)
        {
            final long key = GroupKeys.of("node-" + i);
            final RaftGroupId id = GroupKeys.raftGroupId("cluster-a", key);
            assertThat(GroupKeys.groupKeyOf("cluster-a", id)).isEqualTo(key);
            assertThat(ids.add(id)).isTrue();
            assertThat(key).isNotIn(-1L, 0L);
        }
        final RaftGroupId id = GroupKeys.raftGroupId("cluster-a", 7);
        assertThatThrownBy(() -> GroupKeys.groupKeyOf("cluster-b", id))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a group of cluster 'cluster-b'");
    }

    @Test
    void contextNamesTheFirstBadSetting()
    {
        try (NodeStore store = NodeStore.open(new NodeStore.Context().directory(dir.resolve("store"))
            .partitionCount(16).writeBufferBytes(1024 * 1024)))
        {
            assertThatThrownBy(() -> valid(store).nodeId(null).conclude())
                .isInstanceOf(NullPointerException.class).hasMessageContaining("raft.nodeId");
            assertThatThrownBy(() -> valid(store).storageDir(null).conclude())
                .isInstanceOf(NullPointerException.class).hasMessageContaining("raft.storageDir");
            assertThatThrownBy(() -> valid(store).store(null).conclude())
                .isInstanceOf(NullPointerException.class).hasMessageContaining("raft.store");
            assertThatThrownBy(() -> valid(store).port(0).conclude())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("raft.port");
            assertThatThrownBy(() -> valid(store).partitionCount(8).conclude())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("differs from the store's 16");
            assertThatThrownBy(() -> valid(store).replicationFactor(0).conclude())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("raft.replicationFactor");
            assertThatThrownBy(() -> valid(store).electionTimeoutMin(Duration.ofSeconds(2)).conclude())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("raft.electionTimeoutMin");
            assertThatThrownBy(() -> valid(store).requestTimeout(Duration.ofSeconds(2)).conclude())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("raft.requestTimeout");
            assertThatThrownBy(() -> valid(store).serverThreads(0).conclude())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("raft.serverThreads");
            assertThatThrownBy(() -> valid(store).snapshotThreshold(0).conclude())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("raft.snapshotThreshold");

            final RaftGroups.Context ok = valid(store).conclude();
            assertThat(ok.partitionCount()).isEqualTo(16);
            assertThat(ok.store()).isSameAs(store);
        }
    }

    private RaftGroups.Context valid(final NodeStore store)
    {
        return new RaftGroups.Context()
            .nodeId("n1")
            .port(9000)
            .partitionCount(16)
            .storageDir(dir.resolve("raft"))
            .store(store);
    }
}
