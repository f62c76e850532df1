/**
 * The node's local store: one RocksDB per node.
 * <p>
 * Owns: the key layout (every Raft group's replica is one key range, every partition it holds a
 * sub-range of it), atomic batches that record the Raft index they come from (idempotent replay),
 * consistent group snapshots as SST files and their installation by ingestion, and reading or
 * clearing one partition's sub-range for a handoff. Knows nothing of Raft or agents.
 */
package io.rookery.storage;
