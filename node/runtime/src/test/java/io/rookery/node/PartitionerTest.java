package io.rookery.node;

import java.util.HashSet;
import java.util.Set;

import io.rookery.api.AgentId;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PartitionerTest
{
    @Test
    void partitionsAreStableAcrossVersions()
    {
        // Part of the on-disk format: these values must never change.
        assertThat(Partitioner.partition(AgentId.of("counter", "c0"), 16)).isEqualTo(GOLDEN_C0);
        assertThat(Partitioner.partition(AgentId.of("counter", "apples"), 16)).isEqualTo(GOLDEN_APPLES);
        assertThat(Partitioner.partition(AgentId.of("account", "alice"), 16)).isEqualTo(GOLDEN_ALICE);
        assertThat(NodeKeys.of("n1")).isEqualTo(GOLDEN_N1_KEY);
    }

    @Test
    void typeAndKeyAreSeparatedAndAllPartitionsAreUsed()
    {
        assertThat(Partitioner.partition(AgentId.of("ab", "c"), 1 << 16))
            .isNotEqualTo(Partitioner.partition(AgentId.of("a", "bc"), 1 << 16));
        final Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 400; i++)
        {
            final int p = Partitioner.partition(AgentId.of("counter", "k" + i), 16);
            assertThat(p).isBetween(0, 15);
            seen.add(p);
        }
        assertThat(seen).hasSize(16);
        assertThat(NodeKeys.of("anything")).isNotEqualTo(NodeKeys.NONE);
    }

    private static final int GOLDEN_C0 = 9;
    private static final int GOLDEN_APPLES = 13;
    private static final int GOLDEN_ALICE = 14;
    private static final long GOLDEN_N1_KEY = -4306488893944589033L;
}
