package io.rookery.raft;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Rendezvous placement: every node must compute the same replicas from the same members, spread
 * them, and move as little as possible when membership changes.
 */
class PlacementTest
{
    private static final List<String> FIVE = List.of("n1", "n2", "n3", "n4", "n5");

    @Test
    void placementIsPinned()
    {
        // Where replicas live is persistent state of every cluster: pin a few rows.
        assertThat(Placement.replicas(FIVE, 0, 3)).containsExactly("n2", "n5", "n4");
        assertThat(Placement.replicas(FIVE, 1, 3)).containsExactly("n3", "n2", "n4");
        assertThat(Placement.replicas(FIVE, 5, 3)).containsExactly("n1", "n5", "n3");
        assertThat(Placement.replicas(FIVE, 15, 3)).containsExactly("n1", "n5", "n4");
    }

    @Test
    void replicasDoNotDependOnInputOrderOrDuplicates()
    {
        final Random random = new Random(7);
        for (int p = 0; p < 64; p++)
        {
            final List<String> expected = Placement.replicas(FIVE, p, 3);
            for (int round = 0; round < 10; round++)
            {
                final List<String> shuffled = new ArrayList<>(FIVE);
                shuffled.addAll(FIVE.subList(0, random.nextInt(FIVE.size())));
                Collections.shuffle(shuffled, random);
                assertThat(Placement.replicas(shuffled, p, 3)).as("partition %d from %s", p, shuffled)
                    .isEqualTo(expected);
                assertThat(Placement.replicas(new LinkedHashSet<>(shuffled), p, 3)).isEqualTo(expected);
                assertThat(Placement.replicas(new TreeSet<>(shuffled), p, 3)).isEqualTo(expected);
            }
        }
    }

    @Test
    void replicasAreMinOfRAndNDistinctNodesHighestScoreFirst()
    {
        for (int n = 0; n <= 6; n++)
        {
            final List<String> nodes = nodes(n);
            for (int r = 0; r <= 7; r++)
            {
                for (int p = 0; p < 16; p++)
                {
                    final List<String> replicas = Placement.replicas(nodes, p, r);
                    assertThat(replicas).hasSize(Math.min(r, n)).doesNotHaveDuplicates();
                    assertThat(nodes).containsAll(replicas);
                    for (int i = 1; i < replicas.size(); i++)
                    {
                        assertThat(Placement.score(replicas.get(i - 1), p))
                            .isGreaterThanOrEqualTo(Placement.score(replicas.get(i), p));
                    }
                    final List<String> ranked = Placement.ranked(nodes, p);
                    assertThat(ranked).hasSize(n);
                    assertThat(ranked.subList(0, replicas.size())).isEqualTo(replicas);
                }
            }
        }
    }

    @Test
    void replicasIsImmutable()
    {
        final List<String> replicas = Placement.replicas(FIVE, 0, 3);
        assertThatThrownBy(() -> replicas.add("n9"))
            .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void threeNodesWithThreeReplicasHostEveryPartitionEverywhere()
    {
        final List<String> three = List.of("n1", "n2", "n3");
        for (int p = 0; p < 16; p++)
        {
            assertThat(Placement.replicas(three, p, 3)).containsExactlyInAnyOrderElementsOf(three);
        }
    }

    @Test
    void fiveNodesShareTheReplicasOfSixteenPartitions()
    {
        final Map<String, Integer> load = load(FIVE, 16, 3);

        assertThat(load).containsOnlyKeys(FIVE);
        assertThat(load.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(16 * 3);
        for (final String node : FIVE)
        {
            assertThat(load.get(node)).as("partitions on %s: %s", node, load).isBetween(1, 15);
        }
        final Set<String> leadersByRank = new TreeSet<>();
        for (int p = 0; p < 16; p++)
        {
            leadersByRank.add(Placement.replicas(FIVE, p, 3).get(0));
        }
        assertThat(leadersByRank).as("first-ranked replicas are spread too").containsExactlyElementsOf(FIVE);
    }

    @Test
    void manyPartitionsAreBalancedAcrossNodes()
    {
        final int partitions = 4096;
        final List<String> nodes = nodes(8);
        final Map<String, Integer> load = load(nodes, partitions, 3);
        final double mean = partitions * 3.0 / nodes.size();
        for (final String node : nodes)
        {
            assertThat((double)load.get(node)).as("load of %s in %s", node, load)
                .isBetween(mean * 0.85, mean * 1.15);
        }
    }

    @Test
    void removingANodeMovesOnlyThePartitionsThatHadIt()
    {
        final int partitions = 256;
        for (final String removed : FIVE)
        {
            final List<String> remaining = new ArrayList<>(FIVE);
            remaining.remove(removed);
            for (int p = 0; p < partitions; p++)
            {
                final List<String> before = Placement.replicas(FIVE, p, 3);
                final List<String> after = Placement.replicas(remaining, p, 3);
                if (!before.contains(removed))
                {
                    assertThat(after).as("partition %d without %s", p, removed).isEqualTo(before);
                }
                else
                {
                    final List<String> kept = new ArrayList<>(before);
                    kept.remove(removed);
                    assertThat(after.subList(0, 2)).as("survivors keep their rank in partition %d", p)
                        .isEqualTo(kept);
                    assertThat(before).doesNotContain(after.get(2));
                }
            }
        }
    }

    @Test
    void addingANodeMovesRoughlyAnRthOfTheReplicasAndOnlyToTheNewNode()
    {
        final int partitions = 1024;
        final int r = 3;
        final List<String> before = nodes(5);
        final List<String> after = nodes(6);
        final String added = after.get(5);

        int moved = 0;
        for (int p = 0; p < partitions; p++)
        {
            final List<String> old = Placement.replicas(before, p, r);
            final List<String> now = Placement.replicas(after, p, r);
            final List<String> gained = new ArrayList<>(now);
            gained.removeAll(old);
            final List<String> lost = new ArrayList<>(old);
            lost.removeAll(now);
            if (gained.isEmpty())
            {
                assertThat(now).isEqualTo(old);
            }
            else
            {
                assertThat(gained).as("partition %d", p).containsExactly(added);
                assertThat(lost).as("partition %d gives up its lowest-ranked replica", p)
                    .containsExactly(old.get(r - 1));
                moved++;
            }
        }

        // The new node enters the top R of a partition with probability R / (n + 1).
        final double expected = partitions * (double)r / after.size();
        assertThat((double)moved).as("replicas moved").isLessThanOrEqualTo(expected * 1.15);
        assertThat((double)moved).as("the new node takes its share").isGreaterThanOrEqualTo(expected * 0.85);
        assertThat(moved / (double)(partitions * r)).isLessThan(1.0 / after.size() + 0.05);
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

    private static Map<String, Integer> load(final List<String> nodes, final int partitions, final int r)
    {
        final Map<String, Integer> load = new HashMap<>();
        for (int p = 0; p < partitions; p++)
        {
            for (final String node : Placement.replicas(nodes, p, r))
            {
                load.merge(node, 1, Integer::sum);
            }
        }
        return load;
    }
}
