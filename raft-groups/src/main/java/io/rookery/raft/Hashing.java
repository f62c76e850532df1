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
        return fmix64(fnv(FNV_OFFSET, s));
    }

    /**
     * @param a first part.
     * @param b second part, separated from the first so that ("ab","c") and ("a","bc") differ.
     * @return the 64-bit hash of the pair.
     */
    public static long hash64(final String a, final String b)
    {
        long h = fnv(FNV_OFFSET, a);
        h = (h ^ 0xFF) * FNV_PRIME;
        h = fnv(h, b);
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

    /**
     * FNV-1a over the UTF-8 encoding of {@code s}, produced on the fly rather than allocated:
     * partitioning runs for every message. Byte for byte what {@code s.getBytes(UTF_8)} gives,
     * including '?' for a lone surrogate.
     */
    private static long fnv(final long seed, final String s)
    {
        long h = seed;
        for (int i = 0, length = s.length(); i < length; i++)
        {
            final char c = s.charAt(i);
            if (c < 0x80)
            {
                h = (h ^ c) * FNV_PRIME;
            }
            else if (c < 0x800)
            {
                h = (h ^ (0xC0 | (c >> 6))) * FNV_PRIME;
                h = (h ^ (0x80 | (c & 0x3F))) * FNV_PRIME;
            }
            else if (Character.isHighSurrogate(c) && i + 1 < length && Character.isLowSurrogate(s.charAt(i + 1)))
            {
                final int cp = Character.toCodePoint(c, s.charAt(++i));
                h = (h ^ (0xF0 | (cp >> 18))) * FNV_PRIME;
                h = (h ^ (0x80 | ((cp >> 12) & 0x3F))) * FNV_PRIME;
                h = (h ^ (0x80 | ((cp >> 6) & 0x3F))) * FNV_PRIME;
                h = (h ^ (0x80 | (cp & 0x3F))) * FNV_PRIME;
            }
            else if (Character.isSurrogate(c))
            {
                h = (h ^ '?') * FNV_PRIME;
            }
            else
            {
                h = (h ^ (0xE0 | (c >> 12))) * FNV_PRIME;
                h = (h ^ (0x80 | ((c >> 6) & 0x3F))) * FNV_PRIME;
                h = (h ^ (0x80 | (c & 0x3F))) * FNV_PRIME;
            }
        }
        return h;
    }

    /**
     * The reference: FNV-1a over bytes, for tests that check {@link #fnv(long, String)} against it.
     */
    static long fnvOfBytes(final long seed, final byte[] bytes)
    {
        long h = seed;
        for (final byte b : bytes)
        {
            h ^= b & 0xFF;
            h *= FNV_PRIME;
        }
        return h;
    }

    static long fnvOfUtf8(final String s)
    {
        return fnv(FNV_OFFSET, s);
    }

    static long fnvOfUtf8Bytes(final String s)
    {
        return fnvOfBytes(FNV_OFFSET, s.getBytes(StandardCharsets.UTF_8));
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
