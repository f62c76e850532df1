package io.rookery.storage;

/**
 * Key layout of the node store: {@code [group u64 BE][partition u16 BE][key space u8][rest]}.
 * <p>
 * A Raft group's replica on this node is one contiguous key range (what makes group snapshots and
 * range deletes possible), and inside it every partition the group holds is a sub-range. The same
 * partition held by two groups on one node (the source and the target of a handoff) lives in two
 * ranges, so neither replica can overwrite the other's copy whatever order they apply in.
 * <p>
 * Partition {@link #META_PARTITION} of a group's range belongs to the group itself: its applied
 * index and whatever the replicated state machine keeps about the group (which partitions it owns).
 * Key space 0 of every partition is reserved for the store.
 */
public final class Keys
{
    /** Key space reserved for the store's metadata. */
    public static final byte META = 0;

    /** Pseudo-partition of a group's range that holds the group's own records; never a real partition. */
    public static final int META_PARTITION = 0xFFFF;

    /** Most partitions a store can hold: partitions 0..65534, since 65535 is the groups' own. */
    public static final int MAX_PARTITIONS = META_PARTITION;

    /** Highest usable group key; -1 (all ones) is reserved so that every group's range has an end key. */
    public static final long MAX_GROUP = -2L;

    static final byte[] APPLIED_INDEX_KEY = {META, 'a'};

    static final int PREFIX = 8 + 2;

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

    static byte[] fullKey(final long group, final int partition, final byte[] key)
    {
        checkGroup(group);
        final byte[] full = new byte[PREFIX + key.length];
        putGroup(full, group);
        full[8] = (byte)(partition >>> 8);
        full[9] = (byte)partition;
        System.arraycopy(key, 0, full, PREFIX, key.length);
        return full;
    }

    static byte[] partitionStart(final long group, final int partition)
    {
        final byte[] start = new byte[PREFIX];
        putGroup(start, group);
        start[8] = (byte)(partition >>> 8);
        start[9] = (byte)partition;
        return start;
    }

    static byte[] partitionEnd(final long group, final int partition)
    {
        final int next = partition + 1;
        if (next > 0xFFFF)
        {
            return groupEnd(group);
        }
        return partitionStart(group, next);
    }

    static byte[] groupStart(final long group)
    {
        checkGroup(group);
        final byte[] start = new byte[8];
        putGroup(start, group);
        return start;
    }

    /**
     * The first key after a group's range: the next group key's start (key -1 is reserved for this).
     */
    static byte[] groupEnd(final long group)
    {
        checkGroup(group);
        final byte[] end = new byte[8];
        putGroup(end, group + 1);
        return end;
    }

    /**
     * @param group a group key.
     * @throws IllegalArgumentException for the reserved key -1.
     */
    public static void checkGroup(final long group)
    {
        if (group == -1L)
        {
            throw new IllegalArgumentException("group key -1 is reserved");
        }
    }

    static byte[] stripPrefix(final byte[] fullKey)
    {
        final byte[] key = new byte[fullKey.length - PREFIX];
        System.arraycopy(fullKey, PREFIX, key, 0, key.length);
        return key;
    }

    static int partitionOf(final byte[] fullKey)
    {
        return ((fullKey[8] & 0xFF) << 8) | (fullKey[9] & 0xFF);
    }

    private static void putGroup(final byte[] dst, final long group)
    {
        for (int i = 0; i < 8; i++)
        {
            dst[i] = (byte)(group >>> (56 - 8 * i));
        }
    }
}
