package io.rookery.node;

import java.util.ArrayList;
import java.util.List;

import io.rookery.api.AgentContext;
import io.rookery.api.AgentId;
import io.rookery.api.Codecs;

/**
 * The {@link AgentContext} of one turn; one instance per partition loop, reset for every turn.
 */
final class TurnContext implements AgentContext
{
    private static final byte[] EMPTY_REPLY = "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8);

    record Send(AgentId target, byte[] payload)
    {
    }

    private AgentId self;
    private AgentId sender;
    private int partition;
    private long nowMillis;
    private Object reply;
    private final List<Send> sends = new ArrayList<>();
    private boolean open;

    void begin(final AgentId self, final AgentId sender, final int partition, final long nowMillis)
    {
        this.self = self;
        this.sender = sender;
        this.partition = partition;
        this.nowMillis = nowMillis;
        this.reply = null;
        this.sends.clear();
        this.open = true;
    }

    void end()
    {
        open = false;
    }

    byte[] replyBytes()
    {
        if (reply == null)
        {
            return EMPTY_REPLY;
        }
        return reply instanceof byte[] bytes ? bytes : Codecs.toJson(reply);
    }

    List<Send> sends()
    {
        return sends;
    }

    public AgentId self()
    {
        checkOpen();
        return self;
    }

    public AgentId sender()
    {
        checkOpen();
        return sender;
    }

    public int partition()
    {
        checkOpen();
        return partition;
    }

    public long nowMillis()
    {
        checkOpen();
        return nowMillis;
    }

    public void reply(final Object reply)
    {
        checkOpen();
        this.reply = reply;
    }

    public void send(final AgentId target, final Object message)
    {
        checkOpen();
        if (target == null || message == null)
        {
            throw new IllegalArgumentException("send needs a target and a message");
        }
        sends.add(new Send(target, message instanceof byte[] bytes ? bytes : Codecs.toJson(message)));
    }

    private void checkOpen()
    {
        if (!open)
        {
            throw new IllegalStateException("AgentContext used outside its turn");
        }
    }
}
