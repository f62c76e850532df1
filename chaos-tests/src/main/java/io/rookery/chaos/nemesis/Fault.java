package io.rookery.chaos.nemesis;

import java.time.Duration;
import java.util.Random;

import io.rookery.chaos.ChaosCluster;

/**
 * One fault: injected, held for a while, healed. Both steps return evidence that they took
 * effect (exit codes, process states, dropped-packet counters), which goes into the timeline.
 */
public interface Fault
{
    /** @return the fault's name in the timeline. */
    String name();

    /**
     * @param cluster the cluster.
     * @return null when the fault can run here, else why it is skipped.
     */
    default String unsupported(final ChaosCluster cluster)
    {
        return null;
    }

    /**
     * @param cluster the cluster.
     * @param random  the run's seeded random.
     * @return evidence that the fault took effect.
     */
    String inject(ChaosCluster cluster, Random random);

    /** @return how long the fault is held. */
    Duration duration();

    /**
     * @param cluster the cluster.
     * @return evidence that the fault was healed (and what it did meanwhile).
     */
    String heal(ChaosCluster cluster);
}
