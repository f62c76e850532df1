package io.rookery.raft;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.rookery.storage.GroupBatch;
import io.rookery.storage.Keys;
import io.rookery.storage.NodeStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A partition's range cut into chunks for a handoff and put back together.
 */
@Timeout(30)
class RangeChunksTest
{
    @TempDir
    Path dir;

    @Test
    void aRangeIsCutIntoChunksUnderTheLimitThatHoldEveryPairOnceInOrder()
    {
        try (NodeStore store = NodeStore.open(new NodeStore.Context().directory(dir.resolve("s")).partitionCount(4)
            .writeBufferBytes(1024 * 1024)))
        {
            final Map<String, String> written = new LinkedHashMap<>();
            try (GroupBatch batch = store.newBatch(5))
            {
                for (int i = 0; i < 500; i++)
                {
                    final String key = String.format("k%04d", i);
                    final String value = "v".repeat(i % 50);
                    written.put(key, value);
                    batch.put(2, Keys.key((byte)1, key.getBytes(StandardCharsets.UTF_8)),
                        value.getBytes(StandardCharsets.UTF_8));
                }
                batch.put(3, Keys.key((byte)1, new byte[] {1}), new byte[] {2});
                store.commit(batch, 1, 1);
            }

            final List<byte[]> chunks = RangeChunks.read(store, 5, 2, 1024);

            assertThat(chunks.size()).isGreaterThan(5);
            final Map<String, String> read = new LinkedHashMap<>();
            for (final byte[] chunk : chunks)
            {
                assertThat(chunk.length).isLessThanOrEqualTo(1024);
                RangeChunks.forEach(chunk, (k, v) ->
                {
                    assertThat(read.put(new String(k, 1, k.length - 1, StandardCharsets.UTF_8),
                        new String(v, StandardCharsets.UTF_8))).isNull();
                    return true;
                });
            }
            assertThat(read).containsExactlyEntriesOf(written);
            assertThat(RangeChunks.read(store, 5, 1, 1024)).as("an empty range is one empty chunk").hasSize(1);
            assertThat(RangeChunks.read(store, 6, 2, 1024).get(0)).isEqualTo(new byte[4]);
        }
    }

    @Test
    void aMalformedChunkIsAClearError()
    {
        assertThatThrownBy(() -> RangeChunks.forEach(new byte[] {0, 0, 0, 5, 1}, (k, v) -> true))
            .isInstanceOf(IllegalStateException.class).hasMessageContaining("malformed range chunk");
        final byte[] trailing = java.util.Arrays.copyOf(chunk("a", "b"), chunk("a", "b").length + 1);
        assertThatThrownBy(() -> RangeChunks.forEach(trailing, (k, v) -> true))
            .isInstanceOf(IllegalStateException.class).hasMessageContaining("after the last pair");
    }

    static byte[] chunk(final String key, final String value)
    {
        final byte[] k = key.getBytes(StandardCharsets.UTF_8);
        final byte[] v = value.getBytes(StandardCharsets.UTF_8);
        return java.nio.ByteBuffer.allocate(4 + 4 + k.length + 4 + v.length).putInt(1).putInt(k.length).put(k)
            .putInt(v.length).put(v).array();
    }

    static List<String> keysOf(final byte[] chunk)
    {
        final List<String> keys = new ArrayList<>();
        RangeChunks.forEach(chunk, (k, v) ->
        {
            keys.add(new String(k, StandardCharsets.UTF_8));
            return true;
        });
        return keys;
    }
}
