/**
 * The Java client for applications outside the cluster: {@link io.rookery.client.RookeryClient}.
 */
package io.rookery.client;
