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
 * index, idempotent replay, restart, partition isolation and range snapshots.
 */
@Timeout(30)
class NodeStoreTest
{
    private static final byte DATA = 1;
    private static final byte OTHER = 2;

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
        for (int p = 0; p < 16; p++)
        {
            assertThat(store.appliedIndex(p)).isEqualTo(AppliedIndex.INITIAL);
            assertThat(contentOf(store, p)).isEmpty();
        }
        assertThat(store.get(3, key(DATA, "absent"))).isNull();
    }

    @Test
    void commitWritesTheBatchAndTheAppliedIndexTogether()
    {
        final NodeStore store = open("commit", 16);

        try (PartitionBatch batch = store.newBatch(5))
        {
            batch.put(key(DATA, "a"), bytes("1")).put(key(DATA, "b"), bytes("2"));
            assertThat(batch.partition()).isEqualTo(5);
            assertThat(batch.count()).isEqualTo(2);
            assertThat(store.get(5, key(DATA, "a"))).as("nothing is visible before commit").isNull();

            assertThat(store.commit(batch, 3, 7)).isTrue();
        }

        assertThat(store.get(5, key(DATA, "a"))).isEqualTo(bytes("1"));
        assertThat(store.get(5, key(DATA, "b"))).isEqualTo(bytes("2"));
        assertThat(store.appliedIndex(5)).isEqualTo(new AppliedIndex(3, 7));

        // The applied index is itself a key of the partition, in the reserved META key space,
        // written by the same RocksDB write as the batch: it is part of the partition's range.
        final Map<String, String> all = contentOf(store, 5);
        assertThat(all).containsOnlyKeys(hex(key(DATA, "a")), hex(key(DATA, "b")), hex(Keys.APPLIED_INDEX_KEY));
        assertThat(Keys.APPLIED_INDEX_KEY[0]).isEqualTo(Keys.META);
        assertThat(dataOf(store, 5)).containsOnlyKeys("a", "b");

        for (int p = 0; p < 16; p++)
        {
            if (p != 5)
            {
                assertThat(store.appliedIndex(p)).isEqualTo(AppliedIndex.INITIAL);
            }
        }
    }

    @Test
    void deletesInABatchRemoveKeys()
    {
        final NodeStore store = open("delete", 4);
        commit(store, 1, 1, 1, Map.of("a", "1", "b", "2"));

        try (PartitionBatch batch = store.newBatch(1))
        {
            batch.delete(key(DATA, "a")).put(key(DATA, "c"), bytes("3"));
            assertThat(store.commit(batch, 1, 2)).isTrue();
        }

        assertThat(store.get(1, key(DATA, "a"))).isNull();
        assertThat(dataOf(store, 1)).containsExactly(Map.entry("b", "2"), Map.entry("c", "3"));
        assertThat(store.appliedIndex(1)).isEqualTo(new AppliedIndex(1, 2));
    }

    @Test
    void anEmptyBatchStillAdvancesTheAppliedIndex()
    {
        final NodeStore store = open("empty-batch", 4);

        try (PartitionBatch batch = store.newBatch(2))
        {
            assertThat(batch.count()).isZero();
            assertThat(store.commit(batch, 4, 11)).isTrue();
        }

        assertThat(store.appliedIndex(2)).isEqualTo(new AppliedIndex(4, 11));
        assertThat(dataOf(store, 2)).isEmpty();
    }

    @Test
    void replayedEntriesAreSkippedAndReturnFalse()
    {
        final NodeStore store = open("replay", 4);
        commit(store, 0, 2, 5, Map.of("k", "original"));

        try (PartitionBatch same = store.newBatch(0); PartitionBatch older = store.newBatch(0))
        {
            same.put(key(DATA, "k"), bytes("replayed"));
            older.put(key(DATA, "k"), bytes("older")).put(key(DATA, "extra"), bytes("x"));
            assertThat(store.commit(same, 2, 5)).as("index equal to the applied index").isFalse();
            assertThat(store.commit(older, 2, 4)).as("index below the applied index").isFalse();
            assertThat(store.commit(older, 9, 1)).as("a higher term does not make an old index new").isFalse();
        }

        assertThat(store.get(0, key(DATA, "k"))).isEqualTo(bytes("original"));
        assertThat(store.get(0, key(DATA, "extra"))).isNull();
        assertThat(store.appliedIndex(0)).isEqualTo(new AppliedIndex(2, 5));

        assertThat(commit(store, 0, 3, 6, Map.of("k", "next"))).isTrue();
        assertThat(store.get(0, key(DATA, "k"))).isEqualTo(bytes("next"));
        assertThat(store.appliedIndex(0)).isEqualTo(new AppliedIndex(3, 6));
    }

    @Test
    void appliedIndexPerPartitionIsIndependent()
    {
        final NodeStore store = open("independent", 4);
        commit(store, 0, 1, 100, Map.of("a", "0"));

        assertThat(commit(store, 1, 1, 1, Map.of("a", "1"))).as("a low index in another partition is new").isTrue();
        assertThat(store.appliedIndex(0)).isEqualTo(new AppliedIndex(1, 100));
        assertThat(store.appliedIndex(1)).isEqualTo(new AppliedIndex(1, 1));
    }

    @Test
    void appliedIndexAndDataSurviveCloseAndReopen()
    {
        final NodeStore first = open("reopen", 8);
        commit(first, 3, 2, 41, Map.of("a", "1"));
        commit(first, 3, 2, 42, Map.of("b", "2"));
        commit(first, 6, 5, 9, Map.of("z", "9"));
        first.close();
        first.close();
        opened.remove(first);

        final NodeStore second = open("reopen", 8);
        assertThat(second.appliedIndex(3)).isEqualTo(new AppliedIndex(2, 42));
        assertThat(second.appliedIndex(6)).isEqualTo(new AppliedIndex(5, 9));
        assertThat(second.appliedIndex(0)).isEqualTo(AppliedIndex.INITIAL);
        assertThat(dataOf(second, 3)).containsExactly(Map.entry("a", "1"), Map.entry("b", "2"));
        assertThat(dataOf(second, 6)).containsExactly(Map.entry("z", "9"));

        assertThat(commit(second, 3, 2, 42, Map.of("a", "replayed after restart"))).isFalse();
        assertThat(second.get(3, key(DATA, "a"))).isEqualTo(bytes("1"));
        assertThat(commit(second, 3, 2, 43, Map.of("c", "3"))).isTrue();
        assertThat(second.appliedIndex(3)).isEqualTo(new AppliedIndex(2, 43));
    }

    @Test
    void reopenAfterFlushKeepsEverything()
    {
        final NodeStore first = open("flush", 4);
        commit(first, 2, 1, 1, Map.of("a", "1"));
        first.flush();
        assertThat(first.approximateSizeBytes()).isPositive();
        first.close();
        opened.remove(first);

        final NodeStore second = open("flush", 4);
        assertThat(dataOf(second, 2)).containsExactly(Map.entry("a", "1"));
        assertThat(second.appliedIndex(2)).isEqualTo(new AppliedIndex(1, 1));
    }

    @Test
    void partitionsAreIsolatedKeyRanges()
    {
        final NodeStore store = open("isolation", 16);
        for (int p = 1; p <= 3; p++)
        {
            commit(store, p, 1, p * 10L, Map.of("shared", "value-of-" + p, "only-" + p, "x"));
        }

        for (int p = 1; p <= 3; p++)
        {
            assertThat(store.get(p, key(DATA, "shared"))).isEqualTo(bytes("value-of-" + p));
            assertThat(dataOf(store, p)).containsOnlyKeys("shared", "only-" + p);
            assertThat(store.appliedIndex(p)).isEqualTo(new AppliedIndex(1, p * 10L));
        }
        assertThat(store.get(2, key(DATA, "only-1"))).isNull();
        assertThat(store.get(2, key(DATA, "only-3"))).isNull();
        assertThat(store.get(0, key(DATA, "shared"))).isNull();
        assertThat(store.get(4, key(DATA, "shared"))).isNull();
        assertThat(dataOf(store, 0)).isEmpty();
        assertThat(dataOf(store, 4)).isEmpty();
    }

    @Test
    void scanStaysWithinItsPrefixAndKeySpace()
    {
        final NodeStore store = open("scan", 4);
        try (PartitionBatch batch = store.newBatch(1))
        {
            batch.put(key(DATA, "user/1"), bytes("a"))
                .put(key(DATA, "user/2"), bytes("b"))
                .put(key(DATA, "userx"), bytes("c"))
                .put(key(OTHER, "user/1"), bytes("other space"));
            store.commit(batch, 1, 1);
        }
        commit(store, 2, 1, 1, Map.of("user/3", "next partition"));

        final Map<String, String> users = new LinkedHashMap<>();
        store.scan(1, key(DATA, "user/"), (k, v) ->
        {
            users.put(hex(k), utf8(v));
            return true;
        });
        assertThat(users).containsExactly(
            Map.entry(hex(key(DATA, "user/1")), "a"),
            Map.entry(hex(key(DATA, "user/2")), "b"));

        final Map<String, String> space = new LinkedHashMap<>();
        store.scan(1, new byte[] {OTHER}, (k, v) ->
        {
            space.put(hex(k), utf8(v));
            return true;
        });
        assertThat(space).containsExactly(Map.entry(hex(key(OTHER, "user/1")), "other space"));
    }

    @Test
    void scanStopsWhenTheVisitorSaysSo()
    {
        final NodeStore store = open("scan-stop", 4);
        commit(store, 0, 1, 1, Map.of("a", "1", "b", "2", "c", "3", "d", "4"));

        final List<String> seen = new ArrayList<>();
        store.scan(0, new byte[] {DATA}, (k, v) ->
        {
            seen.add(utf8(v));
            return seen.size() < 2;
        });

        assertThat(seen).containsExactly("1", "2");
    }

    @Test
    void scanOfTheHighestKeySpaceDoesNotLeakIntoTheNextPartition()
    {
        final byte last = (byte)0xFF;
        final NodeStore store = open("scan-ff", 300);
        // 255 -> 256 carries into the high byte of the partition prefix.
        for (final int p : new int[] {254, 255, 256})
        {
            try (PartitionBatch batch = store.newBatch(p))
            {
                batch.put(key(last, "k"), bytes("p" + p))
                    .put(new byte[] {last, (byte)0xFF, (byte)0xFF}, bytes("max-" + p))
                    .put(new byte[] {last}, bytes("bare-" + p));
                store.commit(batch, 1, 1);
            }
        }

        for (final int p : new int[] {254, 255, 256})
        {
            final List<String> values = new ArrayList<>();
            store.scan(p, new byte[] {last}, (k, v) ->
            {
                values.add(utf8(v));
                return true;
            });
            assertThat(values).as("partition " + p).containsExactlyInAnyOrder("p" + p, "max-" + p, "bare-" + p);
            assertThat(contentOf(store, p)).hasSize(4);
        }
    }

    @Test
    void clearPartitionClearsOnlyThatPartition()
    {
        final NodeStore store = open("clear", 8);
        for (int p = 1; p <= 3; p++)
        {
            commit(store, p, 2, 20L + p, Map.of("a", "v" + p, "b", "w" + p));
        }

        store.clearPartition(2);

        assertThat(contentOf(store, 2)).isEmpty();
        assertThat(store.get(2, key(DATA, "a"))).isNull();
        assertThat(store.appliedIndex(2)).isEqualTo(AppliedIndex.INITIAL);
        for (final int p : new int[] {1, 3})
        {
            assertThat(dataOf(store, p)).containsExactly(Map.entry("a", "v" + p), Map.entry("b", "w" + p));
            assertThat(store.appliedIndex(p)).isEqualTo(new AppliedIndex(2, 20L + p));
        }

        assertThat(commit(store, 2, 3, 1, Map.of("a", "again"))).as("a cleared partition accepts index 1").isTrue();
        assertThat(dataOf(store, 2)).containsExactly(Map.entry("a", "again"));
    }

    @Test
    void clearedPartitionStaysEmptyAfterReopen()
    {
        final NodeStore first = open("clear-reopen", 4);
        commit(first, 1, 1, 5, Map.of("a", "1"));
        commit(first, 2, 1, 6, Map.of("a", "2"));
        first.clearPartition(1);
        first.close();
        opened.remove(first);

        final NodeStore second = open("clear-reopen", 4);
        assertThat(contentOf(second, 1)).isEmpty();
        assertThat(second.appliedIndex(1)).isEqualTo(AppliedIndex.INITIAL);
        assertThat(dataOf(second, 2)).containsExactly(Map.entry("a", "2"));
    }

    @Test
    void snapshotInstalledIntoAFreshStoreReproducesExactlyThatPartition() throws Exception
    {
        final NodeStore source = open("source", 8);
        commit(source, 3, 4, 17, Map.of("a", "1", "b", "2"));
        try (PartitionBatch batch = source.newBatch(3))
        {
            batch.delete(key(DATA, "a")).put(key(OTHER, "x"), bytes("other space")).put(key(DATA, "c"), new byte[0]);
            source.commit(batch, 5, 18);
        }
        commit(source, 2, 1, 3, Map.of("neighbour", "below"));
        commit(source, 4, 1, 4, Map.of("neighbour", "above"));
        final Map<String, String> expected = contentOf(source, 3);

        final Path file = dir.resolve("p3.sst");
        final AppliedIndex written = source.writeSnapshot(3, file);
        assertThat(written).isEqualTo(new AppliedIndex(5, 18));
        assertThat(file).isRegularFile();

        final NodeStore target = open("target", 8);
        commit(target, 2, 9, 99, Map.of("mine", "keep"));
        commit(target, 4, 9, 98, Map.of("mine", "keep too"));

        final AppliedIndex installed = target.installSnapshot(3, file);

        assertThat(installed).isEqualTo(new AppliedIndex(5, 18));
        assertThat(target.appliedIndex(3)).isEqualTo(new AppliedIndex(5, 18));
        assertThat(contentOf(target, 3)).isEqualTo(expected);
        assertThat(target.get(3, key(DATA, "c"))).isEqualTo(new byte[0]);
        assertThat(target.get(3, key(DATA, "a"))).isNull();
        assertThat(dataOf(target, 2)).containsExactly(Map.entry("mine", "keep"));
        assertThat(dataOf(target, 4)).containsExactly(Map.entry("mine", "keep too"));
        assertThat(target.appliedIndex(2)).isEqualTo(new AppliedIndex(9, 99));
        assertThat(target.appliedIndex(4)).isEqualTo(new AppliedIndex(9, 98));
        assertThat(Files.exists(file)).as("installing does not consume the file").isTrue();

        assertThat(commit(target, 3, 5, 18, Map.of("b", "replay"))).as("entries in the snapshot are skipped").isFalse();
        assertThat(commit(target, 3, 5, 19, Map.of("b", "new"))).isTrue();
        assertThat(target.get(3, key(DATA, "b"))).isEqualTo(bytes("new"));
        assertThat(dataOf(source, 3)).as("the source is unaffected").containsEntry("b", "2");
    }

    @Test
    void installSnapshotReplacesWhateverThePartitionHeld() throws Exception
    {
        final NodeStore source = open("src", 4);
        commit(source, 1, 2, 10, Map.of("a", "snap"));
        final Path file = dir.resolve("replace.sst");
        source.writeSnapshot(1, file);

        final NodeStore target = open("dst", 4);
        commit(target, 1, 7, 500, Map.of("a", "stale", "stale-only", "x"));

        assertThat(target.installSnapshot(1, file)).isEqualTo(new AppliedIndex(2, 10));
        assertThat(dataOf(target, 1)).containsExactly(Map.entry("a", "snap"));
        assertThat(target.appliedIndex(1)).as("the applied index goes back to the snapshot's")
            .isEqualTo(new AppliedIndex(2, 10));
    }

    @Test
    void snapshotRestoresAPartitionOfTheSameStoreAfterClearing() throws Exception
    {
        final NodeStore store = open("restore", 4);
        commit(store, 0, 1, 1, Map.of("left", "alone"));
        commit(store, 2, 3, 30, Map.of("a", "1", "b", "2"));
        final Map<String, String> atSnapshot = contentOf(store, 2);
        final Path file = dir.resolve("p2.sst");
        assertThat(store.writeSnapshot(2, file)).isEqualTo(new AppliedIndex(3, 30));

        commit(store, 2, 3, 31, Map.of("a", "changed", "c", "new"));
        store.clearPartition(2);
        assertThat(contentOf(store, 2)).isEmpty();

        assertThat(store.installSnapshot(2, file)).isEqualTo(new AppliedIndex(3, 30));
        assertThat(contentOf(store, 2)).isEqualTo(atSnapshot);
        assertThat(dataOf(store, 0)).containsExactly(Map.entry("left", "alone"));
        assertThat(store.appliedIndex(0)).isEqualTo(new AppliedIndex(1, 1));

        store.close();
        opened.remove(store);
        final NodeStore reopened = open("restore", 4);
        assertThat(contentOf(reopened, 2)).isEqualTo(atSnapshot);
        assertThat(reopened.appliedIndex(2)).isEqualTo(new AppliedIndex(3, 30));
    }

    @Test
    void snapshotOfAPartitionWithNothingAppliedIsInitialAndWritesNoFile()
    {
        final NodeStore store = open("empty-snapshot", 4);
        commit(store, 1, 1, 1, Map.of("a", "1"));

        final Path file = dir.resolve("empty.sst");
        assertThat(store.writeSnapshot(2, file)).isEqualTo(AppliedIndex.INITIAL);
        assertThat(file).doesNotExist();

        store.clearPartition(1);
        assertThat(store.writeSnapshot(1, file)).as("a cleared partition").isEqualTo(AppliedIndex.INITIAL);
        assertThat(file).doesNotExist();
    }

    @Test
    void newBatchRejectsPartitionsOutsideTheStore()
    {
        final NodeStore store = open("range", 4);

        assertThatThrownBy(() -> store.newBatch(4))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("partition 4 outside [0, 4)");
        assertThatThrownBy(() -> store.newBatch(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void contextValidatesItsSettings()
    {
        assertThatThrownBy(() -> new NodeStore.Context().conclude())
            .isInstanceOf(NullPointerException.class).hasMessageContaining("store.directory");
        assertThatThrownBy(() -> new NodeStore.Context().directory(dir).partitionCount(0).conclude())
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("partitionCount");
        assertThatThrownBy(() -> new NodeStore.Context().directory(dir).partitionCount(65536).conclude())
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("partitionCount");
        assertThatThrownBy(() -> new NodeStore.Context().directory(dir).writeBufferBytes(1024).conclude())
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("writeBufferBytes");
        assertThat(new NodeStore.Context().directory(dir).partitionCount(65535).conclude().partitionCount())
            .isEqualTo(65535);
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
        final NodeStore store, final int partition, final long term, final long index, final Map<String, String> puts)
    {
        try (PartitionBatch batch = store.newBatch(partition))
        {
            puts.forEach((k, v) -> batch.put(key(DATA, k), bytes(v)));
            return store.commit(batch, term, index);
        }
    }

    /**
     * @return every key of the partition (hex, the applied index included) to its value.
     */
    private static Map<String, String> contentOf(final NodeStore store, final int partition)
    {
        final Map<String, String> content = new LinkedHashMap<>();
        store.scan(partition, new byte[0], (k, v) ->
        {
            content.put(hex(k), hex(v));
            return true;
        });
        return content;
    }

    /**
     * @return the DATA key space of the partition, keys without the key-space byte.
     */
    private static Map<String, String> dataOf(final NodeStore store, final int partition)
    {
        final Map<String, String> content = new LinkedHashMap<>();
        store.scan(partition, new byte[] {DATA}, (k, v) ->
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
