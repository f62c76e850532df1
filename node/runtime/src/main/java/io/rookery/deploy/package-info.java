/**
 * Agent bundles: what a bundle is (a jar with a descriptor naming it, its version and its agent
 * types), how a node checks and loads one in a class loader of its own that sees only the agent
 * API, Jackson and the JDK, where it keeps the bytes (content-addressed by SHA-256), and the
 * replicated record of which versions exist and which one is active
 * ({@link io.rookery.deploy.DeploymentsAgent}, a durable agent like any other, so it is kept by
 * consensus in whichever Raft group owns its partition). {@code io.rookery.node.Deployer} puts it
 * together on a running node.
 */
package io.rookery.deploy;
