/**
 * JMH benchmarks. Every benchmark measures Rookery beside its baseline in the same run (the same
 * system without the technique under test, or the raw library underneath), so the result is a
 * ratio that holds on a noisy machine. {@code bin/bench} runs them and
 * {@link io.rookery.jmh.BenchReport} turns JMH's JSON into the table and RATIO lines.
 */
package io.rookery.jmh;
