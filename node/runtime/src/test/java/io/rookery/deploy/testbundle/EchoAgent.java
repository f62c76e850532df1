package io.rookery.deploy.testbundle;

import io.rookery.api.AgentContext;
import io.rookery.api.AgentId;
import io.rookery.api.AgentType;
import io.rookery.api.Codec;
import io.rookery.api.Codecs;

/**
 * An agent the bundle tests pack into jars: it needs {@link Echo}, so a jar without that class
 * must be refused.
 */
public final class EchoAgent implements AgentType<String, String>
{
    private final Echo last = new Echo("");

    public String name()
    {
        return "echo";
    }

    public Codec<String> stateCodec()
    {
        return Codecs.utf8();
    }

    public Codec<String> messageCodec()
    {
        return Codecs.utf8();
    }

    public String initialState(final AgentId id)
    {
        return last.text();
    }

    public String handle(final AgentContext ctx, final String state, final String message)
    {
        ctx.reply(new Echo(message));
        return message;
    }
}
