/**
 * Node-to-node transport: Aeron UDP with SBE-encoded frames.
 * <p>
 * Owns: one embedded media driver per node (its own directory), the node's subscription, one
 * exclusive publication per peer, the bounded outbound ring and per-peer pending queues
 * (back-pressure), structural validation of incoming frames ({@link io.rookery.transport.FrameValidator}),
 * idle-strategy profiles, and the wire schema ({@code src/main/resources/sbe/rookery-wire.xml},
 * compiled to {@code io.rookery.transport.codecs} at build time).
 * <p>
 * Knows nothing of agents, partitions or Raft: peers are 64-bit keys and frames are bytes.
 */
package io.rookery.transport;
