package io.rookery.storage;

import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The key layout: {@code [group u64 BE][partition u16 BE][key space u8][rest]}, so that every
 * group is one contiguous range and every partition of it a sub-range, in RocksDB's unsigned byte
 * order. The layout is on disk: these tests pin it.
 */
class KeysTest
{
    @Test
    void keyPrefixesTheKeySpace()
    {
        assertThat(Keys.key((byte)7, new byte[] {1, 2, 3})).containsExactly(7, 1, 2, 3);
        assertThat(Keys.key((byte)0xFF, new byte[0])).containsExactly(0xFF);
    }

    @Test
    void fullKeyIsBigEndianGroupThenPartitionThenTheKey()
    {
        assertThat(Keys.fullKey(0x0102030405060708L, 0x1234, new byte[] {9, 8}))
            .containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 0x12, 0x34, 9, 8);
        assertThat(Keys.fullKey(-2L, 0, new byte[0]))
            .containsExactly(0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 0, 0);
        assertThatThrownBy(() -> Keys.groupStart(-1L)).isInstanceOf(IllegalArgumentException.class);
        assertThat(Keys.partitionOf(Keys.fullKey(5, 300, new byte[] {1}))).isEqualTo(300);
    }

    @Test
    void stripPrefixUndoesFullKey()
    {
        final byte[] key = {1, (byte)0xFF, 0, 42};
        for (final int partition : new int[] {0, 1, 255, 256, 65534, Keys.META_PARTITION})
        {
            assertThat(Keys.stripPrefix(Keys.fullKey(77L, partition, key))).isEqualTo(key);
        }
    }

    @Test
    void partitionBoundsAreAdjacentAndTheMetaPartitionEndsTheGroup()
    {
        final long g = 0x7F00_0000_0000_00FFL;
        for (int p = 0; p < 65535; p++)
        {
            assertThat(Keys.partitionEnd(g, p)).isEqualTo(Keys.partitionStart(g, p + 1));
        }
        assertThat(Keys.partitionEnd(g, Keys.META_PARTITION)).isEqualTo(Keys.groupEnd(g));
        assertThat(Keys.groupEnd(g)).isEqualTo(Keys.groupStart(g + 1));
    }

    @Test
    void everyKeyOfAPartitionLiesInItsRangeAndNoOtherPartitionsOrGroupsKeyDoes()
    {
        final Random random = new Random(42);
        final long[] groups = {0L, 1L, 255L, 256L, Long.MAX_VALUE, Long.MIN_VALUE, -3L, Keys.MAX_GROUP};
        final int[] partitions = {0, 1, 255, 256, 4095, 65534, Keys.META_PARTITION};
        final byte[][] keys = {
            {},
            {Keys.META},
            Keys.APPLIED_INDEX_KEY,
            {(byte)0xFF},
            {(byte)0xFF, (byte)0xFF, (byte)0xFF, (byte)0xFF},
            randomKey(random),
            randomKey(random)
        };
        for (final long g : groups)
        {
            for (final int p : partitions)
            {
                final byte[] start = Keys.partitionStart(g, p);
                final byte[] end = Keys.partitionEnd(g, p);
                for (final long h : groups)
                {
                    for (final int q : partitions)
                    {
                        for (final byte[] key : keys)
                        {
                            final byte[] full = Keys.fullKey(h, q, key);
                            final boolean inPartition = Arrays.compareUnsigned(full, start) >= 0 &&
                                Arrays.compareUnsigned(full, end) < 0;
                            assertThat(inPartition).as("group %x partition %d key of %x/%d", g, p, h, q)
                                .isEqualTo(g == h && p == q);
                            final boolean inGroup = Arrays.compareUnsigned(full, Keys.groupStart(g)) >= 0 &&
                                Arrays.compareUnsigned(full, Keys.groupEnd(g)) < 0;
                            assertThat(inGroup).isEqualTo(g == h);
                        }
                    }
                }
            }
        }
    }

    private static byte[] randomKey(final Random random)
    {
        final byte[] key = new byte[1 + random.nextInt(12)];
        random.nextBytes(key);
        return key;
    }
}
