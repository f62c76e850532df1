/**
 * Membership and failure detection through ScaleCube's SWIM gossip.
 * <p>
 * Owns: the view of live nodes keyed by node id, each node's announced
 * {@link io.rookery.gossip.NodeMetadata} (endpoints, state, leader claims) with its explicit
 * binary codec, and join/update/leave events. No ScaleCube type leaves this package.
 */
package io.rookery.gossip;
