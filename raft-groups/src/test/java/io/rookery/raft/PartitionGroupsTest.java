package io.rookery.raft;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.rookery.storage.NodeStore;
import org.apache.ratis.protocol.RaftGroupId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What every node must compute identically without talking to the others (group ids, placement),
 * and the fail-fast checks of the settings. No Raft server is started.
 */
@Timeout(30)
class PartitionGroupsTest
{
    @TempDir
    Path dir;

    @Test
    void groupIdsArePinned()
    {
        // Group ids name Ratis's storage directories: they are on-disk format.
        assertThat(PartitionGroups.groupId("rookery", 0).getUuid()).hasToString("702183e6-9aeb-3359-a552-9dccda5f80b7");
        assertThat(PartitionGroups.groupId("rookery", 1).getUuid()).hasToString("ef9fc827-5a7b-3c7d-a605-adedfee8de49");
    }

    @Test
    void groupIdIsDeterministic()
    {
        for (int p = 0; p < 64; p++)
        {
            final RaftGroupId first = PartitionGroups.groupId("cluster-a", p);
            final RaftGroupId second = PartitionGroups.groupId(new String("cluster-a"), p);
            assertThat(second).isEqualTo(first);
            assertThat(second.getUuid()).isEqualTo(first.getUuid());
        }
    }

    @Test
    void groupIdDiffersPerPartitionAndPerCluster()
    {
        final Set<RaftGroupId> ids = new HashSet<>();
        for (final String cluster : List.of("rookery", "other", "rookery2", ""))
        {
            for (int p = 0; p < 256; p++)
            {
                assertThat(ids.add(PartitionGroups.groupId(cluster, p)))
                    .as("group id of %s/%d is unique", cluster, p).isTrue();
            }
        }
        assertThat(PartitionGroups.groupId("a", 11)).isNotEqualTo(PartitionGroups.groupId("a1", 1));
    }

    @Test
    void placementOfMatchesPlacementForEveryPartition()
    {
        final PartitionGroups.Context ctx = new PartitionGroups.Context().partitionCount(16).replicationFactor(3);
        final List<String> members = List.of("n4", "n1", "n3", "n2", "n5");

        final Map<Integer, List<String>> placement = ctx.placementOf(members);

        assertThat(placement).hasSize(16);
        for (int p = 0; p < 16; p++)
        {
            assertThat(placement.get(p)).isEqualTo(Placement.replicas(members, p, 3));
        }
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
            assertThatThrownBy(() -> valid(store).port(65536).conclude())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("raft.port");
            assertThatThrownBy(() -> valid(store).partitionCount(8).conclude())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("differs from the store's 16");
            assertThatThrownBy(() -> valid(store).replicationFactor(0).conclude())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("raft.replicationFactor");
            assertThatThrownBy(() -> valid(store).electionTimeoutMin(Duration.ofSeconds(2)).conclude())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("raft.electionTimeoutMin");
            assertThatThrownBy(() -> valid(store).electionTimeoutMin(Duration.ofMillis(10)).conclude())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("raft.electionTimeoutMin");
            assertThatThrownBy(() -> valid(store).requestTimeout(Duration.ofSeconds(2)).conclude())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("raft.requestTimeout");
            assertThatThrownBy(() -> valid(store).snapshotThreshold(0).conclude())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("raft.snapshotThreshold");

            final PartitionGroups.Context ok = valid(store).conclude();
            assertThat(ok.partitionCount()).isEqualTo(16);
            assertThat(ok.store()).isSameAs(store);
        }
    }

    private PartitionGroups.Context valid(final NodeStore store)
    {
        return new PartitionGroups.Context()
            .nodeId("n1")
            .port(9000)
            .storageDir(dir.resolve("raft"))
            .store(store);
    }
}
