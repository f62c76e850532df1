/**
 * The node's local store: one RocksDB per node.
 * <p>
 * Owns: the key layout (every partition is one key range), atomic batches that record the Raft
 * index they come from (idempotent replay), consistent range snapshots as SST files and their
 * installation by ingestion. Knows nothing of Raft or agents.
 */
package io.rookery.storage;
