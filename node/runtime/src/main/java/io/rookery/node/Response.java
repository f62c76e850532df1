package io.rookery.node;

import java.nio.charset.StandardCharsets;

import io.rookery.transport.codecs.Status;

/**
 * The answer to a request delivered to an agent.
 *
 * @param status     outcome.
 * @param payload    the agent's reply when {@link Status#OK}, else a readable error message.
 * @param leaderHint on {@link Status#REDIRECT}, the node id believed to lead the partition, else null.
 * @param leaderTerm the term of the partition's leader that answered, or -1.
 */
public record Response(Status status, byte[] payload, String leaderHint, long leaderTerm)
{
    private static final byte[] EMPTY = new byte[0];

    /**
     * @param payload the agent's reply.
     * @return a success.
     */
    public static Response ok(final byte[] payload)
    {
        return new Response(Status.OK, payload == null ? EMPTY : payload, null, -1);
    }

    /**
     * @param status  the failure.
     * @param message readable explanation.
     * @return a failure.
     */
    public static Response error(final Status status, final String message)
    {
        return new Response(status, message.getBytes(StandardCharsets.UTF_8), null, -1);
    }

    /**
     * @param leader node id believed to lead, or null.
     * @param term   its term, or -1.
     * @return a redirect.
     */
    public static Response redirect(final String leader, final long term)
    {
        return new Response(Status.REDIRECT, ("not the leader; try " + leader).getBytes(StandardCharsets.UTF_8),
            leader, term);
    }

    /** @return whether the request succeeded. */
    public boolean isOk()
    {
        return status == Status.OK;
    }

    /** @return the payload as UTF-8 text. */
    public String payloadText()
    {
        return new String(payload, StandardCharsets.UTF_8);
    }
}
