package io.rookery.raft;

import java.nio.charset.StandardCharsets;

/**
 * The one 64-bit hash every node computes identically, for placement, partitioning and node keys.
 * FNV-1a over UTF-8 bytes, finished with MurmurHash3's fmix64 so that nearby inputs spread.
 * Changing it moves every agent and every replica: it is part of the on-disk format.
 */
public final class Hashing
{
    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    private Hashing()
    {
    }

    /**
     * @param s text to hash.
     * @return its 64-bit hash.
     */
    public static long hash64(final String s)
    {
        return fmix64(fnv(FNV_OFFSET, s.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * @param a first part.
     * @param b second part, separated from the first so that ("ab","c") and ("a","bc") differ.
     * @return the 64-bit hash of the pair.
     */
    public static long hash64(final String a, final String b)
    {
        long h = fnv(FNV_OFFSET, a.getBytes(StandardCharsets.UTF_8));
        h = (h ^ 0xFF) * FNV_PRIME;
        h = fnv(h, b.getBytes(StandardCharsets.UTF_8));
        return fmix64(h);
    }

    /**
     * @param h a hash.
     * @param n an integer to combine with it.
     * @return the mixed combination.
     */
    public static long mix(final long h, final long n)
    {
        return fmix64(h ^ fmix64(n + 0x9E3779B97F4A7C15L));
    }

    private static long fnv(final long seed, final byte[] bytes)
    {
        long h = seed;
        for (final byte b : bytes)
        {
            h ^= b & 0xFF;
            h *= FNV_PRIME;
        }
        return h;
    }

    private static long fmix64(final long k)
    {
        long h = k;
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }
}
