package io.rookery.raft;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Placement of a group's replicas: home node first, then rendezvous order; every node must compute
 * the same replicas from the same members, spread them, and move as little as possible when
 * membership changes.
 */
class PlacementTest
{
    private static final List<String> FIVE = List.of("n1", "n2", "n3", "n4", "n5");

    @Test
    void theHomeNodeComesFirstWhenItIsACandidate()
    {
        for (final String home : FIVE)
        {
            final long group = GroupKeys.of(home);
            final List<String> replicas = Placement.replicas(home, FIVE, group, 3);
            assertThat(replicas).hasSize(3).startsWith(home).doesNotHaveDuplicates();
        }
        final List<String> others = List.of("n2", "n3", "n4");
        assertThat(Placement.replicas("n1", others, GroupKeys.of("n1"), 3))
            .as("a home node that is not a candidate is simply absent").containsExactlyInAnyOrderElementsOf(others);
    }

    @Test
    void placementIsPinned()
    {
        // Where replicas live is persistent state of every cluster: pin a few rows.
        assertThat(Placement.replicas("n1", FIVE, GroupKeys.of("n1"), 3)).containsExactly("n1", "n2", "n5");
        assertThat(Placement.replicas("n4", FIVE, GroupKeys.of("n4"), 3)).containsExactly("n4", "n3", "n2");
    }

    @Test
    void replicasDoNotDependOnInputOrderOrDuplicates()
    {
        final Random random = new Random(7);
        for (int i = 0; i < 64; i++)
        {
            final String home = "n" + (1 + random.nextInt(6));
            final long group = random.nextLong();
            final List<String> shuffled = new ArrayList<>(FIVE);
            shuffled.addAll(FIVE.subList(0, 2));
            Collections.shuffle(shuffled, random);
            assertThat(Placement.replicas(home, shuffled, group, 3))
                .isEqualTo(Placement.replicas(home, FIVE, group, 3));
        }
    }

    @Test
    void fewerNodesThanReplicasGivesEveryNode()
    {
        assertThat(Placement.replicas("a", List.of("b", "a"), 42L, 3)).containsExactly("a", "b");
        assertThat(Placement.replicas("a", List.of(), 42L, 3)).isEmpty();
    }

    @Test
    void groupsSpreadTheirReplicasOverManyNodes()
    {
        final List<String> nodes = nodes(8);
        final Map<String, Integer> load = new HashMap<>();
        for (int g = 0; g < 4000; g++)
        {
            for (final String node : Placement.replicas("nobody", nodes, Hashing.mix(99, g), 3))
            {
                load.merge(node, 1, Integer::sum);
            }
        }
        final double mean = 4000 * 3.0 / nodes.size();
        for (final String node : nodes)
        {
            assertThat((double)load.get(node)).as("load of %s in %s", node, load).isBetween(mean * 0.85, mean * 1.15);
        }
    }

    @Test
    void removingANonHomeNodeReplacesItByTheNextInRankOnly()
    {
        for (final String home : FIVE)
        {
            final long group = GroupKeys.of(home);
            final List<String> before = Placement.replicas(home, FIVE, group, 3);
            final String removed = before.get(2);
            final List<String> remaining = new ArrayList<>(FIVE);
            remaining.remove(removed);
            final List<String> after = Placement.replicas(home, remaining, group, 3);
            assertThat(after.subList(0, 2)).isEqualTo(before.subList(0, 2));
            assertThat(before).doesNotContain(after.get(2));
        }
    }

    private static List<String> nodes(final int n)
    {
        final List<String> nodes = new ArrayList<>();
        for (int i = 1; i <= n; i++)
        {
            nodes.add("n" + i);
        }
        return nodes;
    }
}
