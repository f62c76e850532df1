package io.rookery.node;

/**
 * Where the answer to a delivered message goes: a local caller's future, or a frame back to the
 * node that forwarded the request. Called exactly once per message (never for tells).
 */
@FunctionalInterface
interface Replier
{
    /** For messages nobody waits on. */
    Replier NONE = response -> { };

    void reply(Response response);
}
