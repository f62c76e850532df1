package io.rookery.deploy.testbundle;

import io.rookery.api.AgentContext;
import io.rookery.api.AgentId;
import io.rookery.api.AgentType;
import io.rookery.api.Codec;
import io.rookery.api.Codecs;
import io.rookery.node.RookeryNode;

/**
 * An agent that reaches into the runtime, which a bundle's class loader does not show.
 */
public final class ReachingAgent implements AgentType<String, String>
{
    public String name()
    {
        return "reaching";
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
        return "";
    }

    public String handle(final AgentContext ctx, final String state, final String message)
    {
        return state;
    }

    /**
     * @param node a node.
     * @return its id.
     */
    public String nodeOf(final RookeryNode node)
    {
        return node.nodeId();
    }
}
