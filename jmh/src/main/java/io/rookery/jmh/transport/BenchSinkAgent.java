package io.rookery.jmh.transport;

import java.util.concurrent.atomic.AtomicLong;

import io.rookery.api.AgentContext;
import io.rookery.api.AgentId;
import io.rookery.api.AgentType;
import io.rookery.api.Codec;
import io.rookery.api.Codecs;
import io.rookery.api.Durability;

/**
 * An ephemeral agent that counts what it is told, for the tell benchmarks: the smallest real turn
 * (activation lookup, decode, handler, bookkeeping) with no work of its own.
 */
public final class BenchSinkAgent implements AgentType<Long, byte[]>
{
    /** The type name. */
    public static final String NAME = "bench-sink";

    /** Messages handled by every sink in this JVM. */
    static final AtomicLong HANDLED = new AtomicLong();

    private static final Codec<Long> STATE = Codecs.json(Long.class);
    private static final Long NONE = 0L;

    public String name()
    {
        return NAME;
    }

    public Durability durability()
    {
        return Durability.EPHEMERAL;
    }

    public Codec<Long> stateCodec()
    {
        return STATE;
    }

    public Codec<byte[]> messageCodec()
    {
        return Codecs.bytes();
    }

    public Long initialState(final AgentId id)
    {
        return NONE;
    }

    public Long handle(final AgentContext ctx, final Long state, final byte[] message)
    {
        HANDLED.incrementAndGet();
        return state;
    }
}
