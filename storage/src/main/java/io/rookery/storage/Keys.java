package io.rookery.storage;

/**
 * Key layout of the node store: {@code [partition u16 big-endian][key space u8][rest]}. A
 * partition is therefore one contiguous key range, which is what makes range snapshots and range
 * deletes possible. Key space 0 of every partition is reserved for the store's own metadata (the
 * last applied Raft index).
 */
public final class Keys
{
    /** Key space reserved for the store's metadata. */
    public static final byte META = 0;

    static final byte[] APPLIED_INDEX_KEY = {META, 'a'};

    private Keys()
    {
    }

    /**
     * @param space key space (1..255; 0 is reserved).
     * @param rest  bytes after the key space.
     * @return a key within a partition.
     */
    public static byte[] key(final byte space, final byte[] rest)
    {
        final byte[] key = new byte[1 + rest.length];
        key[0] = space;
        System.arraycopy(rest, 0, key, 1, rest.length);
        return key;
    }

    static byte[] partitionKey(final int partition, final byte[] key)
    {
        final byte[] full = new byte[2 + key.length];
        full[0] = (byte)(partition >>> 8);
        full[1] = (byte)partition;
        System.arraycopy(key, 0, full, 2, key.length);
        return full;
    }

    static byte[] partitionStart(final int partition)
    {
        return new byte[] {(byte)(partition >>> 8), (byte)partition};
    }

    static byte[] partitionEnd(final int partition)
    {
        final int next = partition + 1;
        return next > 0xFFFF ? new byte[] {(byte)0xFF, (byte)0xFF, (byte)0xFF} :
            new byte[] {(byte)(next >>> 8), (byte)next};
    }

    static byte[] stripPartition(final byte[] fullKey)
    {
        final byte[] key = new byte[fullKey.length - 2];
        System.arraycopy(fullKey, 2, key, 0, key.length);
        return key;
    }
}
