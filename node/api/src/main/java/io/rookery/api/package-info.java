/**
 * The API agent authors program against: {@link io.rookery.api.AgentType} (state, messages,
 * handler), {@link io.rookery.api.AgentContext} (what a turn may do), {@link io.rookery.api.AgentId},
 * {@link io.rookery.api.Codec} and ready-made {@link io.rookery.api.Codecs}.
 */
package io.rookery.api;
