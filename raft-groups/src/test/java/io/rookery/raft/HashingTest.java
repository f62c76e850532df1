package io.rookery.raft;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The hash is part of the on-disk format (placement, partitioning, node keys): these golden values
 * were computed once from the implementation and must never change. If one of them fails, the
 * change moves every agent and replica of every existing cluster.
 */
class HashingTest
{
    @Test
    void singleStringHashesArePinned()
    {
        assertThat(Hashing.hash64("n1")).isEqualTo(0xf5c08557ac1e5104L);
        assertThat(Hashing.hash64("n2")).isEqualTo(0x05971310a2137c15L);
        assertThat(Hashing.hash64("n3")).isEqualTo(0x7269172a4019eb13L);
        assertThat(Hashing.hash64("")).isEqualTo(0xefd01f60ba992926L);
        assertThat(Hashing.hash64("node-1")).isEqualTo(0x91dd3f4c04e1eb05L);
        assertThat(Hashing.hash64("counter")).isEqualTo(0xe62a6d7c89bcc0b9L);
    }

    @Test
    void pairHashesArePinned()
    {
        assertThat(Hashing.hash64("counter", "k")).isEqualTo(0x0253bde4a87fd62dL);
        assertThat(Hashing.hash64("counter", "k1")).isEqualTo(0x5ce0c389117c8464L);
        assertThat(Hashing.hash64("ab", "c")).isEqualTo(0x7b4209eccab7f7c3L);
        assertThat(Hashing.hash64("a", "bc")).isEqualTo(0x300bffd2a90ecf20L);
        assertThat(Hashing.hash64("", "")).isEqualTo(0x1bbd5c813c69a8d7L);
    }

    @Test
    void mixIsPinned()
    {
        assertThat(Hashing.mix(0, 0)).isEqualTo(0x6393d51c06c618dcL);
        assertThat(Hashing.mix(Hashing.hash64("n1"), 7)).isEqualTo(0x9b743967a0aec72eL);
        assertThat(Placement.score("n1", 0)).isEqualTo(0xf5ee23bca6e5a5f9L);
    }

    @Test
    void textIsHashedAsUtf8()
    {
        // "é" precomposed is two UTF-8 bytes; the same code point must hash the same however the
        // String was built, and differently from the ISO-8859-1 reading of those bytes.
        assertThat(Hashing.hash64("caf\u00e9")).isEqualTo(Hashing.hash64(new String(
            new byte[] {'c', 'a', 'f', (byte)0xC3, (byte)0xA9}, StandardCharsets.UTF_8)));
        assertThat(Hashing.hash64("caf\u00e9")).isNotEqualTo(Hashing.hash64("caf\u00c3\u00a9"));
    }

    @Test
    void theOnTheFlyUtf8EncodingMatchesTheJdksForAnyText()
    {
        final java.util.Random random = new java.util.Random(42);
        final String[] fixed = {"", "a", "caf\u00e9", "\u20ac uro", "\ud83d\ude00 emoji", "lone \ud83d high",
            "lone \ude00 low", "\ude00\ud83d reversed", "end high \ud83d", "\u07ff\u0800\uffff"};
        for (final String s : fixed)
        {
            assertThat(Hashing.fnvOfUtf8(s)).as(s).isEqualTo(Hashing.fnvOfUtf8Bytes(s));
        }
        for (int i = 0; i < 20_000; i++)
        {
            final char[] chars = new char[random.nextInt(12)];
            for (int j = 0; j < chars.length; j++)
            {
                chars[j] = switch (random.nextInt(4))
                {
                    case 0 -> (char)random.nextInt(0x80);
                    case 1 -> (char)random.nextInt(0x800);
                    case 2 -> (char)(0xD800 + random.nextInt(0x800));
                    default -> (char)random.nextInt(0x10000);
                };
            }
            final String s = new String(chars);
            assertThat(Hashing.fnvOfUtf8(s)).isEqualTo(Hashing.fnvOfUtf8Bytes(s));
        }
    }

    @Test
    void pairHashSeparatesItsParts()
    {
        assertThat(Hashing.hash64("ab", "c")).isNotEqualTo(Hashing.hash64("a", "bc"));
        assertThat(Hashing.hash64("a", "b")).isNotEqualTo(Hashing.hash64("ab"));
        assertThat(Hashing.hash64("a", "b")).isNotEqualTo(Hashing.hash64("b", "a"));
        assertThat(Hashing.hash64("", "x")).isNotEqualTo(Hashing.hash64("x", ""));
    }

    @Test
    void hashesAreDeterministicAndNearbyInputsSpread()
    {
        final Set<Long> seen = new HashSet<>();
        final Set<Long> topBytes = new HashSet<>();
        for (int i = 0; i < 10_000; i++)
        {
            final long h = Hashing.hash64("agent-" + i);
            assertThat(Hashing.hash64("agent-" + i)).isEqualTo(h);
            seen.add(h);
            topBytes.add(h >>> 56);
        }
        assertThat(seen).as("no collisions among 10k nearby keys").hasSize(10_000);
        assertThat(topBytes).as("nearby keys reach every value of the top byte").hasSize(256);
    }

    @Test
    void mixDependsOnBothInputs()
    {
        final long h = Hashing.hash64("n1");
        final Set<Long> byPartition = new HashSet<>();
        for (int p = 0; p < 1024; p++)
        {
            byPartition.add(Hashing.mix(h, p));
        }
        assertThat(byPartition).hasSize(1024);
        assertThat(Hashing.mix(h, 1)).isNotEqualTo(Hashing.mix(Hashing.hash64("n2"), 1));
    }
}
