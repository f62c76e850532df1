package io.rookery.storage;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The node store on a real RocksDB in a temporary directory: atomic commits with the applied
 * index, idempotent replay, restart, isolation of groups and of partitions, group snapshots.
 */
@Timeout(30)
class NodeStoreTest
{
    private static final byte DATA = 1;
    private static final byte OTHER = 2;
    private static final long G1 = 0x1111_2222_3333_4444L;
    private static final long G2 = 0x1111_2222_3333_4445L;

    @TempDir
    Path dir;

    private final List<NodeStore> opened = new ArrayList<>();

    @AfterEach
    void closeStores()
    {
        for (final NodeStore store : opened)
        {
            store.close();
        }
        opened.clear();
    }

    @Test
    void freshStoreHasNothingAppliedAndNoKeys()
    {
        final NodeStore store = open("fresh", 16);

        assertThat(store.partitionCount()).isEqualTo(16);
        assertThat(store.directory()).isEqualTo(dir.resolve("fresh"));
        assertThat(store.appliedIndex(G1)).isEqualTo(AppliedIndex.INITIAL);
        for (int p = 0; p < 16; p++)
        {
            assertThat(contentOf(store, G1, p)).isEmpty();
        }
        assertThat(store.get(G1, 3, key(DATA, "absent"))).isNull();
    }

    @Test
    void oneBatchWritesManyPartitionsAndTheAppliedIndexTogether()
    {
        final NodeStore store = open("commit", 16);

        try (GroupBatch batch = store.newBatch(G1))
        {
            batch.put(5, key(DATA, "a"), bytes("1")).put(9, key(DATA, "b"), bytes("2"));
            assertThat(batch.group()).isEqualTo(G1);
            assertThat(batch.count()).isEqualTo(2);
            assertThat(store.get(G1, 5, key(DATA, "a"))).as("nothing is visible before commit").isNull();

            assertThat(store.commit(batch, 3, 7)).isTrue();
        }

        assertThat(store.get(G1, 5, key(DATA, "a"))).isEqualTo(bytes("1"));
        assertThat(store.get(G1, 9, key(DATA, "b"))).isEqualTo(bytes("2"));
        assertThat(store.appliedIndex(G1)).isEqualTo(new AppliedIndex(3, 7));
        assertThat(contentOf(store, G1, 5)).containsOnlyKeys(hex(key(DATA, "a")));
        // The applied index is a record of the group, in its meta pseudo-partition, written by the
        // same RocksDB write as the batch.
        assertThat(metaOf(store, G1)).containsOnlyKeys(hex(Keys.APPLIED_INDEX_KEY));
        assertThat(store.appliedIndex(G2)).isEqualTo(AppliedIndex.INITIAL);
    }

    @Test
    void deletesInABatchRemoveKeys()
    {
        final NodeStore store = open("delete", 4);
        commit(store, G1, 1, 1, 1, Map.of("a", "1", "b", "2"));

        try (GroupBatch batch = store.newBatch(G1))
        {
            batch.delete(1, key(DATA, "a")).put(1, key(DATA, "c"), bytes("3"));
            assertThat(store.commit(batch, 1, 2)).isTrue();
        }

        assertThat(store.get(G1, 1, key(DATA, "a"))).isNull();
        assertThat(dataOf(store, G1, 1)).containsExactly(Map.entry("b", "2"), Map.entry("c", "3"));
        assertThat(store.appliedIndex(G1)).isEqualTo(new AppliedIndex(1, 2));
    }

    @Test
    void aClearedPartitionHoldsExactlyTheWritesThatFollowTheClearInTheSameBatch()
    {
        final NodeStore store = open("clear-then-write", 4);
        commit(store, G1, 2, 1, 1, Map.of("old", "x", "kept", "y"));
        commit(store, G1, 3, 1, 2, Map.of("neighbour", "z"));

        try (GroupBatch batch = store.newBatch(G1))
        {
            batch.clearPartition(2).put(2, key(DATA, "kept"), bytes("new"));
            assertThat(store.commit(batch, 1, 3)).isTrue();
        }

        assertThat(dataOf(store, G1, 2)).containsExactly(Map.entry("kept", "new"));
        assertThat(dataOf(store, G1, 3)).as("the next partition is untouched")
            .containsExactly(Map.entry("neighbour", "z"));
    }

    @Test
    void anEmptyBatchStillAdvancesTheAppliedIndex()
    {
        final NodeStore store = open("empty-batch", 4);

        try (GroupBatch batch = store.newBatch(G1))
        {
            assertThat(batch.count()).isZero();
            assertThat(store.commit(batch, 4, 11)).isTrue();
        }

        assertThat(store.appliedIndex(G1)).isEqualTo(new AppliedIndex(4, 11));
    }

    @Test
    void replayedEntriesAreSkippedAndReturnFalse()
    {
        final NodeStore store = open("replay", 4);
        commit(store, G1, 0, 2, 5, Map.of("k", "original"));

        try (GroupBatch same = store.newBatch(G1); GroupBatch older = store.newBatch(G1))
        {
            same.put(0, key(DATA, "k"), bytes("replayed"));
            older.put(0, key(DATA, "k"), bytes("older")).put(0, key(DATA, "extra"), bytes("x"));
            assertThat(store.commit(same, 2, 5)).as("index equal to the applied index").isFalse();
            assertThat(store.commit(older, 2, 4)).as("index below the applied index").isFalse();
            assertThat(store.commit(older, 9, 1)).as("a higher term does not make an old index new").isFalse();
        }

        assertThat(store.get(G1, 0, key(DATA, "k"))).isEqualTo(bytes("original"));
        assertThat(store.get(G1, 0, key(DATA, "extra"))).isNull();
        assertThat(store.appliedIndex(G1)).isEqualTo(new AppliedIndex(2, 5));

        assertThat(commit(store, G1, 0, 3, 6, Map.of("k", "next"))).isTrue();
        assertThat(store.get(G1, 0, key(DATA, "k"))).isEqualTo(bytes("next"));
    }

    @Test
    void groupsAreIndependentRangesEvenForTheSamePartition()
    {
        final NodeStore store = open("independent", 4);
        commit(store, G1, 2, 1, 100, Map.of("a", "from g1"));

        assertThat(commit(store, G2, 2, 1, 1, Map.of("a", "from g2"))).as("a low index in another group is new")
            .isTrue();
        assertThat(store.appliedIndex(G1)).isEqualTo(new AppliedIndex(1, 100));
        assertThat(store.appliedIndex(G2)).isEqualTo(new AppliedIndex(1, 1));
        assertThat(store.get(G1, 2, key(DATA, "a"))).isEqualTo(bytes("from g1"));
        assertThat(store.get(G2, 2, key(DATA, "a"))).isEqualTo(bytes("from g2"));

        store.clearGroup(G1);
        assertThat(store.get(G1, 2, key(DATA, "a"))).isNull();
        assertThat(store.appliedIndex(G1)).isEqualTo(AppliedIndex.INITIAL);
        assertThat(store.get(G2, 2, key(DATA, "a"))).as("clearing one group leaves the other")
            .isEqualTo(bytes("from g2"));
    }

    @Test
    void appliedIndexAndDataSurviveCloseAndReopen()
    {
        final NodeStore first = open("reopen", 8);
        commit(first, G1, 3, 2, 41, Map.of("a", "1"));
        commit(first, G1, 3, 2, 42, Map.of("b", "2"));
        commit(first, G2, 6, 5, 9, Map.of("z", "9"));
        first.close();
        first.close();
        opened.remove(first);

        final NodeStore second = open("reopen", 8);
        assertThat(second.appliedIndex(G1)).isEqualTo(new AppliedIndex(2, 42));
        assertThat(second.appliedIndex(G2)).isEqualTo(new AppliedIndex(5, 9));
        assertThat(dataOf(second, G1, 3)).containsExactly(Map.entry("a", "1"), Map.entry("b", "2"));
        assertThat(dataOf(second, G2, 6)).containsExactly(Map.entry("z", "9"));

        assertThat(commit(second, G1, 3, 2, 42, Map.of("a", "replayed after restart"))).isFalse();
        assertThat(second.get(G1, 3, key(DATA, "a"))).isEqualTo(bytes("1"));
        assertThat(commit(second, G1, 3, 2, 43, Map.of("c", "3"))).isTrue();
    }

    @Test
    void reopenAfterFlushKeepsEverything()
    {
        final NodeStore first = open("flush", 4);
        commit(first, G1, 2, 1, 1, Map.of("a", "1"));
        first.flush();
        assertThat(first.approximateSizeBytes()).isPositive();
        first.close();
        opened.remove(first);

        final NodeStore second = open("flush", 4);
        assertThat(dataOf(second, G1, 2)).containsExactly(Map.entry("a", "1"));
        assertThat(second.appliedIndex(G1)).isEqualTo(new AppliedIndex(1, 1));
    }

    @Test
    void aScanFromAKeyGoesOnAfterItWithinThePrefix()
    {
        final NodeStore store = open("scan-after", 4);
        try (GroupBatch batch = store.newBatch(G1))
        {
            batch.put(1, key(DATA, "a"), bytes("1"))
                .put(1, key(DATA, "b"), bytes("2"))
                .put(1, key(DATA, "c"), bytes("3"))
                .put(1, key(OTHER, "d"), bytes("4"));
            store.commit(batch, 1, 1);
        }
        assertThat(valuesAfter(store, key(DATA, "a"))).containsExactly("2", "3");
        assertThat(valuesAfter(store, key(DATA, "b"))).containsExactly("3");
        assertThat(valuesAfter(store, key(DATA, "bb"))).as("after a key that is not there").containsExactly("3");
        assertThat(valuesAfter(store, key(DATA, "c"))).isEmpty();
        assertThat(valuesAfter(store, new byte[] {0})).as("after a key before the prefix")
            .containsExactly("1", "2", "3");
        assertThat(valuesAfter(store, null)).containsExactly("1", "2", "3");
    }

    private static List<String> valuesAfter(final NodeStore store, final byte[] after)
    {
        final List<String> values = new ArrayList<>();
        store.scan(G1, 1, new byte[] {DATA}, after, (k, v) ->
        {
            values.add(utf8(v));
            return true;
        });
        return values;
    }

    @Test
    void scanStaysWithinItsPrefixPartitionAndGroup()
    {
        final NodeStore store = open("scan", 4);
        try (GroupBatch batch = store.newBatch(G1))
        {
            batch.put(1, key(DATA, "a"), bytes("1"))
                .put(1, key(OTHER, "b"), bytes("2"))
                .put(2, key(DATA, "c"), bytes("3"))
                .put(0, key(DATA, "d"), bytes("4"))
                .putMeta(key(DATA, "meta"), bytes("5"));
            store.commit(batch, 1, 1);
        }
        commit(store, G2, 1, 1, 1, Map.of("other group", "6"));

        assertThat(dataOf(store, G1, 1)).containsExactly(Map.entry("a", "1"));
        assertThat(contentOf(store, G1, 1)).containsOnlyKeys(hex(key(DATA, "a")), hex(key(OTHER, "b")));
        final List<String> stopped = new ArrayList<>();
        store.scan(G1, 1, new byte[0], (k, v) ->
        {
            stopped.add(utf8(v));
            return false;
        });
        assertThat(stopped).as("a visitor returning false stops the scan").containsExactly("1");
        final Map<String, String> meta = new LinkedHashMap<>();
        store.scanMeta(G1, new byte[] {DATA}, (k, v) ->
        {
            meta.put(utf8(k), utf8(v));
            return true;
        });
        assertThat(meta).containsExactly(Map.entry("\u0001meta", "5"));
        assertThat(store.getMeta(G1, key(DATA, "meta"))).isEqualTo(bytes("5"));
    }

    @Test
    void theHighestKeySpaceAndTheHighestGroupKeyDoNotLeak()
    {
        final NodeStore store = open("edges", 4);
        final long highest = Keys.MAX_GROUP;
        try (GroupBatch batch = store.newBatch(highest))
        {
            batch.put(3, new byte[] {(byte)0xFF, (byte)0xFF}, bytes("top"));
            store.commit(batch, 1, 1);
        }
        commit(store, highest - 1, 3, 1, 1, Map.of("below", "x"));

        assertThat(contentOf(store, highest, 3)).hasSize(1);
        store.scan(highest, 3, new byte[] {(byte)0xFF}, (k, v) ->
        {
            assertThat(utf8(v)).isEqualTo("top");
            return true;
        });
        assertThat(contentOf(store, highest - 1, 3)).hasSize(1);
        store.clearGroup(highest);
        assertThat(contentOf(store, highest, 3)).isEmpty();
        assertThat(dataOf(store, highest - 1, 3)).containsExactly(Map.entry("below", "x"));
    }

    @Test
    void snapshotInstalledIntoAFreshStoreReproducesExactlyThatGroup() throws Exception
    {
        final NodeStore source = open("snap-source", 8);
        commit(source, G1, 1, 3, 10, Map.of("a", "1"));
        commit(source, G1, 6, 3, 11, Map.of("b", "2"));
        commit(source, G2, 1, 3, 50, Map.of("not", "mine"));
        final Path file = dir.resolve("g1.sst");

        assertThat(source.writeSnapshot(G1, file)).isEqualTo(new AppliedIndex(3, 11));
        assertThat(file).exists();

        final NodeStore target = open("snap-target", 8);
        commit(target, G1, 1, 1, 2, Map.of("stale", "gone"));
        commit(target, G2, 1, 1, 7, Map.of("kept", "yes"));
        assertThat(target.installSnapshot(G1, file)).isEqualTo(new AppliedIndex(3, 11));

        assertThat(dataOf(target, G1, 1)).containsExactly(Map.entry("a", "1"));
        assertThat(dataOf(target, G1, 6)).containsExactly(Map.entry("b", "2"));
        assertThat(target.appliedIndex(G1)).isEqualTo(new AppliedIndex(3, 11));
        assertThat(dataOf(target, G2, 1)).as("other groups untouched").containsExactly(Map.entry("kept", "yes"));
        assertThat(target.appliedIndex(G2)).isEqualTo(new AppliedIndex(1, 7));
        assertThat(commit(target, G1, 1, 3, 11, Map.of("a", "replay"))).isFalse();
        assertThat(Files.size(file)).as("the snapshot file is left as it was").isPositive();
    }

    @Test
    void snapshotOfAGroupWithNothingAppliedIsInitialAndWritesNoFile()
    {
        final NodeStore store = open("snap-empty", 4);
        final Path file = dir.resolve("empty.sst");

        assertThat(store.writeSnapshot(G1, file)).isEqualTo(AppliedIndex.INITIAL);
        assertThat(file).doesNotExist();
    }

    @Test
    void batchesRejectPartitionsOutsideTheStore()
    {
        final NodeStore store = open("range", 4);

        try (GroupBatch batch = store.newBatch(G1))
        {
            assertThatThrownBy(() -> batch.put(4, key(DATA, "x"), bytes("y")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("partition 4 outside [0, 4)");
            assertThatThrownBy(() -> batch.clearPartition(-1)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void contextValidatesItsSettings()
    {
        assertThatThrownBy(() -> new NodeStore.Context().conclude())
            .isInstanceOf(NullPointerException.class).hasMessageContaining("store.directory");
        assertThatThrownBy(() -> new NodeStore.Context().directory(dir).partitionCount(0).conclude())
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("partitionCount");
        assertThatThrownBy(() -> new NodeStore.Context().directory(dir).partitionCount(65536).conclude())
            .as("partition 65535 is the groups' own pseudo-partition").isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("partitionCount");
        assertThatThrownBy(() -> new NodeStore.Context().directory(dir).writeBufferBytes(1024).conclude())
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("writeBufferBytes");
        assertThat(new NodeStore.Context().directory(dir).partitionCount(65535).conclude().partitionCount())
            .isEqualTo(65535);
        assertThat(new NodeStore.Context().partitionCount()).isEqualTo(256);
    }

    @Test
    void openingAStoreThatIsAlreadyOpenFailsWithAStoreException()
    {
        open("locked", 4);

        assertThatThrownBy(() -> open("locked", 4))
            .isInstanceOf(StoreException.class).hasMessageContaining("cannot open store");
    }

    private NodeStore open(final String name, final int partitions)
    {
        final NodeStore store = NodeStore.open(new NodeStore.Context()
            .directory(dir.resolve(name))
            .partitionCount(partitions)
            .writeBufferBytes(1024 * 1024));
        opened.add(store);
        return store;
    }

    private static boolean commit(
        final NodeStore store,
        final long group,
        final int partition,
        final long term,
        final long index,
        final Map<String, String> puts)
    {
        try (GroupBatch batch = store.newBatch(group))
        {
            puts.forEach((k, v) -> batch.put(partition, key(DATA, k), bytes(v)));
            return store.commit(batch, term, index);
        }
    }

    private static Map<String, String> contentOf(final NodeStore store, final long group, final int partition)
    {
        final Map<String, String> content = new LinkedHashMap<>();
        store.scan(group, partition, new byte[0], (k, v) ->
        {
            content.put(hex(k), hex(v));
            return true;
        });
        return content;
    }

    private static Map<String, String> metaOf(final NodeStore store, final long group)
    {
        final Map<String, String> content = new LinkedHashMap<>();
        store.scanMeta(group, new byte[0], (k, v) ->
        {
            content.put(hex(k), hex(v));
            return true;
        });
        return content;
    }

    private static Map<String, String> dataOf(final NodeStore store, final long group, final int partition)
    {
        final Map<String, String> content = new LinkedHashMap<>();
        store.scan(group, partition, new byte[] {DATA}, (k, v) ->
        {
            assertThat(k[0]).isEqualTo(DATA);
            content.put(new String(k, 1, k.length - 1, StandardCharsets.UTF_8), utf8(v));
            return true;
        });
        return content;
    }

    private static byte[] key(final byte space, final String rest)
    {
        return Keys.key(space, bytes(rest));
    }

    private static byte[] bytes(final String s)
    {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String utf8(final byte[] bytes)
    {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static String hex(final byte[] bytes)
    {
        final StringBuilder sb = new StringBuilder(bytes.length * 2);
        for (final byte b : bytes)
        {
            sb.append(Character.forDigit((b >> 4) & 0xF, 16)).append(Character.forDigit(b & 0xF, 16));
        }
        return sb.toString();
    }
}
