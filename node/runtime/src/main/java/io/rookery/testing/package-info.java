/**
 * Test support kept in main scope so every module's tests (and the benchmarks) can use it:
 * {@link io.rookery.testing.TestCluster} runs real nodes inside one JVM.
 */
package io.rookery.testing;
