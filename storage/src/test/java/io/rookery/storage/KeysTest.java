package io.rookery.storage;

import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The key layout: {@code [partition u16 big-endian][key space u8][rest]}, so that every partition
 * is one contiguous range {@code [partitionStart, partitionEnd)} in RocksDB's unsigned byte order.
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
    void partitionKeyIsBigEndianU16ThenTheKey()
    {
        assertThat(Keys.partitionKey(0, new byte[] {9})).containsExactly(0, 0, 9);
        assertThat(Keys.partitionKey(1, new byte[] {9})).containsExactly(0, 1, 9);
        assertThat(Keys.partitionKey(0x1234, new byte[] {9, 8})).containsExactly(0x12, 0x34, 9, 8);
        assertThat(Keys.partitionKey(65534, new byte[0])).containsExactly(0xFF, 0xFE);
    }

    @Test
    void stripPartitionUndoesPartitionKey()
    {
        final byte[] key = {1, (byte)0xFF, 0, 42};
        for (final int partition : new int[] {0, 1, 255, 256, 65534})
        {
            assertThat(Keys.stripPartition(Keys.partitionKey(partition, key))).isEqualTo(key);
        }
    }

    @Test
    void partitionBoundsAreAdjacentAndCarryIntoTheHighByte()
    {
        assertThat(Keys.partitionStart(0)).containsExactly(0, 0);
        assertThat(Keys.partitionEnd(0)).containsExactly(0, 1);
        assertThat(Keys.partitionStart(255)).containsExactly(0, 0xFF);
        assertThat(Keys.partitionEnd(255)).containsExactly(1, 0);
        assertThat(Keys.partitionEnd(65534)).containsExactly(0xFF, 0xFF);
        for (int p = 0; p < 65534; p++)
        {
            assertThat(Keys.partitionEnd(p)).isEqualTo(Keys.partitionStart(p + 1));
        }
    }

    @Test
    void everyKeyOfAPartitionLiesInItsRangeAndNoOtherPartitionsKeyDoes()
    {
        final Random random = new Random(42);
        final int[] partitions = {0, 1, 2, 127, 128, 254, 255, 256, 257, 4095, 4096, 65533, 65534};
        final byte[][] keys = {
            {},
            {Keys.META},
            Keys.APPLIED_INDEX_KEY,
            {(byte)0xFF},
            {(byte)0xFF, (byte)0xFF, (byte)0xFF, (byte)0xFF},
            {1, 0},
            randomKey(random),
            randomKey(random),
            randomKey(random)
        };
        for (final int p : partitions)
        {
            final byte[] start = Keys.partitionStart(p);
            final byte[] end = Keys.partitionEnd(p);
            for (final int q : partitions)
            {
                for (final byte[] key : keys)
                {
                    final byte[] full = Keys.partitionKey(q, key);
                    final boolean inRange = Arrays.compareUnsigned(full, start) >= 0 &&
                        Arrays.compareUnsigned(full, end) < 0;
                    assertThat(inRange)
                        .as("key %s of partition %d in range of partition %d", Arrays.toString(key), q, p)
                        .isEqualTo(p == q);
                }
            }
        }
    }

    @Test
    void appliedIndexKeyLivesInTheReservedMetaKeySpace()
    {
        assertThat(Keys.META).isZero();
        assertThat(Keys.APPLIED_INDEX_KEY[0]).isEqualTo(Keys.META);
        assertThat(Keys.APPLIED_INDEX_KEY).hasSize(2);
    }

    private static byte[] randomKey(final Random random)
    {
        final byte[] key = new byte[1 + random.nextInt(20)];
        random.nextBytes(key);
        return key;
    }
}
