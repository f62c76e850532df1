/**
 * The runtime of one peer node.
 * <p>
 * Owns: {@link io.rookery.node.RookeryNode} (start/stop order, settings), the partition loops
 * where turns run and group commit happens, routing of requests to partition leaders (local
 * bypass or Aeron), queries over agents (scatter to partition leaders, paging, merging), the
 * HTTP ingress, metrics, and the node's identity on disk.
 */
package io.rookery.node;
