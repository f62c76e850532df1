/**
 * Rookery beside the systems a user would pick instead, in the same JMH run: Apache Pekko
 * classic remoting (Artery over TCP and over Aeron UDP) for messaging between two nodes, and
 * jgroups-raft for replicated increments. Their dependencies live only in this module.
 */
package io.rookery.jmh.peers;
