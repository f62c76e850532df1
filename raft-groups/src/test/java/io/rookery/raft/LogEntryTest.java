package io.rookery.raft;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import io.rookery.raft.codecs.MessageHeaderEncoder;
import io.rookery.raft.codecs.WriteBatchDecoder;
import io.rookery.raft.codecs.WriteBatchEncoder;
import io.rookery.storage.AppliedIndex;
import io.rookery.storage.Keys;
import io.rookery.storage.NodeStore;
import io.rookery.storage.PartitionBatch;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Log entries: what a leader encodes is exactly what every replica writes to its store.
 */
@Timeout(30)
class LogEntryTest
{
    private static final byte DATA = 1;

    @TempDir
    Path dir;

    private NodeStore store;

    @BeforeEach
    void openStore()
    {
        store = NodeStore.open(new NodeStore.Context().directory(dir.resolve("store")).partitionCount(8)
            .writeBufferBytes(1024 * 1024));
    }

    @AfterEach
    void closeStore()
    {
        store.close();
    }

    @Test
    void putsAndDeletesRoundTripIntoTheStore()
    {
        applyDirectly(3, 1, "gone", "to be deleted");
        applyDirectly(3, 2, "kept", "untouched");

        final byte[] big = new byte[100_000];
        new Random(1).nextBytes(big);
        final LogEntry entry = new LogEntry(3, 7)
            .put(key("a"), utf8("1"))
            .put(key("empty"), new byte[0])
            .delete(key("gone"))
            .put(key("big"), big)
            .put(key("non-ascii \u00e9\u6771"), utf8("\u00fcber"));
        assertThat(entry.partition()).isEqualTo(3);
        assertThat(entry.leaderTerm()).isEqualTo(7);
        assertThat(entry.size()).isEqualTo(5);

        final byte[] bytes = entry.encode();
        assertThat(bytes).hasSize(entry.encodedLength());
        assertThat(LogEntry.leaderTermOf(bytes)).isEqualTo(7);

        try (PartitionBatch batch = store.newBatch(3))
        {
            assertThat(LogEntry.decodeInto(bytes, batch)).isEqualTo(7);
            assertThat(batch.count()).isEqualTo(5);
            assertThat(store.commit(batch, 7, 3)).isTrue();
        }

        assertThat(store.get(3, key("a"))).isEqualTo(utf8("1"));
        assertThat(store.get(3, key("empty"))).as("an empty value is a put, not a delete").isEqualTo(new byte[0]);
        assertThat(store.get(3, key("gone"))).isNull();
        assertThat(store.get(3, key("big"))).isEqualTo(big);
        assertThat(store.get(3, key("non-ascii \u00e9\u6771"))).isEqualTo(utf8("\u00fcber"));
        assertThat(store.get(3, key("kept"))).isEqualTo(utf8("untouched"));
        assertThat(store.appliedIndex(3)).isEqualTo(new AppliedIndex(7, 3));
    }

    @Test
    void theLastWriteToAKeyWinsAndWritesGoOutInKeyOrder()
    {
        final LogEntry entry = new LogEntry(1, 2)
            .put(key("z"), utf8("first"))
            .put(key("x"), utf8("1"))
            .delete(key("x"))
            .delete(key("y"))
            .put(key("y"), utf8("2"))
            .put(key("z"), utf8("last"));
        assertThat(entry.size()).isEqualTo(3);
        final byte[] bytes = entry.encode();
        assertThat(bytes).hasSize(entry.encodedLength());

        final List<String> order = new ArrayList<>();
        final WriteBatchDecoder decoder = new WriteBatchDecoder().wrap(new UnsafeBuffer(bytes),
            MessageHeaderEncoder.ENCODED_LENGTH, WriteBatchEncoder.BLOCK_LENGTH, WriteBatchEncoder.SCHEMA_VERSION);
        for (final WriteBatchDecoder.OpsDecoder op : decoder.ops())
        {
            final byte[] k = new byte[op.keyLength()];
            op.getKey(k, 0, k.length);
            op.skipValue();
            order.add(op.op() + " " + new String(k, 1, k.length - 1, StandardCharsets.UTF_8));
        }
        assertThat(order).containsExactly("DELETE x", "PUT y", "PUT z");

        try (PartitionBatch batch = store.newBatch(1))
        {
            LogEntry.decodeInto(bytes, batch);
            store.commit(batch, 2, 1);
        }

        assertThat(store.get(1, key("x"))).isNull();
        assertThat(store.get(1, key("y"))).isEqualTo(utf8("2"));
        assertThat(store.get(1, key("z"))).isEqualTo(utf8("last"));
    }

    @Test
    void anEmptyEntryRoundTrips()
    {
        final LogEntry entry = new LogEntry(5, 11);
        assertThat(entry.size()).isZero();

        final byte[] bytes = entry.encode();

        assertThat(bytes).hasSize(entry.encodedLength());
        assertThat(LogEntry.leaderTermOf(bytes)).isEqualTo(11);
        try (PartitionBatch batch = store.newBatch(5))
        {
            assertThat(LogEntry.decodeInto(bytes, batch)).isEqualTo(11);
            assertThat(batch.count()).isZero();
        }
    }

    @Test
    void encodedLengthIsExactForEveryShape()
    {
        final Random random = new Random(3);
        for (int round = 0; round < 200; round++)
        {
            final LogEntry entry = new LogEntry(random.nextInt(8), random.nextLong());
            final int ops = random.nextInt(20);
            final Set<ByteBuffer> distinct = new HashSet<>();
            for (int i = 0; i < ops; i++)
            {
                // Short keys repeat now and then: a rewritten key must not count twice.
                final byte[] k = new byte[random.nextInt(40)];
                random.nextBytes(k);
                distinct.add(ByteBuffer.wrap(k));
                if (random.nextInt(4) == 0)
                {
                    entry.delete(k);
                }
                else
                {
                    final byte[] v = new byte[random.nextInt(300)];
                    random.nextBytes(v);
                    entry.put(k, v);
                }
            }
            final byte[] bytes = entry.encode();
            assertThat(bytes).hasSize(entry.encodedLength());
            assertThat(LogEntry.leaderTermOf(bytes)).isEqualTo(entry.leaderTerm());
            try (PartitionBatch batch = store.newBatch(entry.partition()))
            {
                assertThat(LogEntry.decodeInto(bytes, batch)).isEqualTo(entry.leaderTerm());
                assertThat(batch.count()).isEqualTo(distinct.size());
            }
        }
    }

    @Test
    void leaderTermOfReadsExtremeTerms()
    {
        assertThat(LogEntry.leaderTermOf(new LogEntry(0, Long.MAX_VALUE).put(key("k"), utf8("v")).encode()))
            .isEqualTo(Long.MAX_VALUE);
        assertThat(LogEntry.leaderTermOf(new LogEntry(0, 0).encode())).isZero();
        assertThat(LogEntry.leaderTermOf(new LogEntry(0, -1).delete(key("k")).encode())).isEqualTo(-1);
    }

    @Test
    void anEntryOfAnotherPartitionIsRejected()
    {
        final byte[] bytes = new LogEntry(2, 4).put(key("a"), utf8("1")).encode();

        try (PartitionBatch batch = store.newBatch(3))
        {
            assertThatThrownBy(() -> LogEntry.decodeInto(bytes, batch))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("log entry of partition 2 in the group of partition 3");
            assertThat(batch.count()).as("nothing was copied into the batch").isZero();
        }
    }

    @Test
    void bytesThatAreNotAWriteBatchAreRejected()
    {
        final byte[] readRequest = ReadKeys.encode(3, key("a"));
        try (PartitionBatch batch = store.newBatch(3))
        {
            assertThatThrownBy(() -> LogEntry.decodeInto(readRequest, batch))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not a WriteBatch")
                .hasMessageContaining("template=2");

            final byte[] otherSchema = new LogEntry(3, 1).put(key("a"), utf8("1")).encode();
            new UnsafeBuffer(otherSchema).putShort(4, (short)7301, ByteOrder.LITTLE_ENDIAN);
            assertThatThrownBy(() -> LogEntry.decodeInto(otherSchema, batch))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("schema=7301");

            final Random random = new Random(99);
            for (int i = 0; i < 1000; i++)
            {
                final byte[] garbage = new byte[MessageHeaderEncoder.ENCODED_LENGTH + random.nextInt(64)];
                random.nextBytes(garbage);
                final int schemaId = new UnsafeBuffer(garbage).getShort(4, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
                if (schemaId == WriteBatchEncoder.SCHEMA_ID)
                {
                    continue;
                }
                assertThatThrownBy(() -> LogEntry.decodeInto(garbage, batch))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("not a WriteBatch");
            }
            assertThat(batch.count()).isZero();
        }
    }

    @Test
    void anEntryHoldsAtMostMaxOpsWrites()
    {
        assertThat(LogEntry.MAX_OPS).as("the codec's own limit")
            .isEqualTo(WriteBatchEncoder.OpsEncoder.countMaxValue());
        final LogEntry full = new LogEntry(4, 1);
        for (int i = 0; i < LogEntry.MAX_OPS; i++)
        {
            full.delete(new byte[] {DATA, (byte)(i >> 8), (byte)i});
        }
        final byte[] bytes = full.encode();
        assertThat(bytes).hasSize(full.encodedLength());
        try (PartitionBatch batch = store.newBatch(4))
        {
            LogEntry.decodeInto(bytes, batch);
            assertThat(batch.count()).isEqualTo(LogEntry.MAX_OPS);
        }

        full.delete(new byte[] {DATA, 0, 0}).delete(new byte[] {DATA, 1, 0, 0});
        assertThatThrownBy(full::encode)
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining((LogEntry.MAX_OPS + 1) + " writes");
    }

    private void applyDirectly(final int partition, final long index, final String k, final String v)
    {
        try (PartitionBatch batch = store.newBatch(partition))
        {
            batch.put(key(k), utf8(v));
            assertThat(store.commit(batch, 1, index)).isTrue();
        }
    }

    private static byte[] key(final String rest)
    {
        return Keys.key(DATA, utf8(rest));
    }

    private static byte[] utf8(final String s)
    {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
