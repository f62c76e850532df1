package io.rookery.node;

import java.time.Duration;
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

    record Send(AgentId target, byte[] payload, boolean expectsReply)
    {
    }

    /**
     * A timer set (payload non-null) or cancelled (payload null) during the turn.
     */
    record TimerOp(String name, long dueMillis, byte[] payload)
    {
    }

    private AgentId self;
    private AgentId sender;
    private int partition;
    private long nowMillis;
    private Object reply;
    private final List<Send> sends = new ArrayList<>();
    private final List<TimerOp> timers = new ArrayList<>();
    private boolean durable;
    private boolean open;
    private boolean deleteState;

    void begin(
        final AgentId self, final AgentId sender, final int partition, final long nowMillis, final boolean durable)
    {
        this.durable = durable;
        this.timers.clear();
        this.self = self;
        this.sender = sender;
        this.partition = partition;
        this.nowMillis = nowMillis;
        this.reply = null;
        this.sends.clear();
        this.deleteState = false;
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

    List<TimerOp> timers()
    {
        return timers;
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
        sends.add(new Send(target, message instanceof byte[] bytes ? bytes : Codecs.toJson(message), false));
    }

    public void ask(final AgentId target, final Object message)
    {
        checkOpen();
        if (target == null || message == null)
        {
            throw new IllegalArgumentException("ask needs a target and a message");
        }
        sends.add(new Send(target, message instanceof byte[] bytes ? bytes : Codecs.toJson(message), true));
    }

    boolean replied()
    {
        return reply != null;
    }

    public void deleteState()
    {
        checkOpen();
        deleteState = true;
    }

    /** @return whether the handler asked for its agent's state to be deleted. */
    boolean stateDeleted()
    {
        return deleteState;
    }

    public void setTimer(final String name, final Duration delay, final Object message)
    {
        checkOpen();
        checkDurable();
        if (name == null || name.isEmpty() || name.length() > 256)
        {
            throw new IllegalArgumentException("timer name must be 1 to 256 characters");
        }
        if (delay == null || message == null)
        {
            throw new IllegalArgumentException("setTimer needs a delay and a message");
        }
        final byte[] payload = message instanceof byte[] bytes ? bytes : Codecs.toJson(message);
        timers.add(new TimerOp(name, nowMillis + Math.max(0, delay.toMillis()), payload));
    }

    public void cancelTimer(final String name)
    {
        checkOpen();
        checkDurable();
        timers.add(new TimerOp(name, 0, null));
    }

    private void checkDurable()
    {
        if (!durable)
        {
            throw new IllegalStateException("timers are durable state; ephemeral agents cannot set them");
        }
    }

    private void checkOpen()
    {
        if (!open)
        {
            throw new IllegalStateException("AgentContext used outside its turn");
        }
    }
}
