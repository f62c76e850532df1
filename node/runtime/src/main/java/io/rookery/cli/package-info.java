/**
 * The {@code rookery} command line: run a node, a local multi-process cluster, the demo, and
 * talk to a cluster from the shell. {@link io.rookery.cli.LocalCluster} is also the process
 * harness of the process-level tests and the chaos suite.
 */
package io.rookery.cli;
