/**
 * The condition language of queries over agents ({@link io.rookery.query.Predicate}): parsed on the
 * node that receives a query, evaluated on each partition's leader against the agents' state as
 * JSON. The scatter, the paging and the merging live in {@code io.rookery.node}
 * ({@code AgentQueries}, {@code PartitionQuery}).
 */
package io.rookery.query;
