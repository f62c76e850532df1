/**
 * Replication: one Apache Ratis server per node, one Raft group per partition.
 * <p>
 * Owns: deterministic group ids, rendezvous placement ({@link io.rookery.raft.Placement}),
 * bootstrap of the initial replicas, the log entry format ({@code src/main/resources/sbe/rookery-log.xml}),
 * the partition state machine that applies committed entries to the node store (idempotently,
 * with term fencing) and snapshots partitions as SST files, in-process proposals and
 * linearizable reads.
 */
package io.rookery.raft;
