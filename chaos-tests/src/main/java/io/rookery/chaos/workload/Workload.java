package io.rookery.chaos.workload;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.rookery.chaos.ChaosCluster;
import io.rookery.chaos.Violation;

/**
 * Client load with a history and a checker of the guarantees it relies on.
 */
public interface Workload
{
    /** @return short name. */
    String name();

    /**
     * Creates the agents the workload needs, before any fault.
     *
     * @param cluster the cluster.
     */
    void setUp(ChaosCluster cluster);

    /**
     * Starts the client threads.
     */
    void start();

    /**
     * Stops the client threads and waits for their last operations.
     */
    void stop();

    /**
     * Checks the history once the cluster has healed; may issue final reads.
     *
     * @param cluster  the cluster.
     * @param deadline how long final reads and convergence may take.
     * @return the violations found (empty when every guarantee held).
     */
    List<Violation> check(ChaosCluster cluster, Duration deadline);

    /** @return counts of operations by outcome, for the summary. */
    Map<String, Long> stats();
}
