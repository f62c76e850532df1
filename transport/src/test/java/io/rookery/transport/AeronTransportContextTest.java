package io.rookery.transport;

import java.util.function.UnaryOperator;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The transport's settings fail fast, naming the bad one, before any driver is started.
 */
class AeronTransportContextTest
{
    @Test
    void defaultsAreValidAndAnAeronDirectoryIsChosen()
    {
        final AeronTransport.Context ctx = valid().conclude();

        assertThat(ctx.aeronDirectoryName()).isNotBlank();
        assertThat(valid().conclude().aeronDirectoryName()).as("one per node").isNotEqualTo(ctx.aeronDirectoryName());
        assertThat(valid().aeronDirectoryName("/dev/shm/mine").conclude().aeronDirectoryName())
            .isEqualTo("/dev/shm/mine");
        assertThat(ctx.maxFrameLength()).isLessThanOrEqualTo(ctx.termLength() / 8);
        assertThat(ctx.idleProfile()).isEqualTo(IdleProfile.POLITE);
    }

    @Test
    void aFrameHandlerIsRequired()
    {
        assertThatThrownBy(() -> new AeronTransport.Context().conclude())
            .isInstanceOf(NullPointerException.class)
            .hasMessageContaining("transport.frameHandler");
    }

    @Test
    void badSettingsAreNamed()
    {
        rejected(c -> c.host(" "), "transport.host");
        rejected(c -> c.host(null), "transport.host");
        rejected(c -> c.port(-1), "transport.port");
        rejected(c -> c.port(65536), "transport.port");
        rejected(c -> c.termLength(3 * 1024 * 1024), "transport.termLength");
        rejected(c -> c.termLength(32 * 1024), "transport.termLength");
        rejected(c -> c.termLength(1024 * 1024), "exceeds termLength/8");
        rejected(c -> c.outboundBufferLength(3 * 1024 * 1024), "transport.outboundBufferLength");
        rejected(c -> c.outboundBufferLength(4 * 1024 * 1024), "needs 8x");
        rejected(c -> c.peerPendingLimit(c.maxFrameLength()), "transport.peerPendingLimit");
        rejected(c -> c.mtu(512), "transport.mtu");
        rejected(c -> c.mtu(1400), "transport.mtu");
        rejected(c -> c.mtu(65536), "transport.mtu");
        rejected(c -> c.maxBatchLength(20), "transport.maxBatchLength");
        rejected(c -> c.maxFrameLength(64 * 1024).maxBatchLength(64 * 1024 + 1), "transport.maxBatchLength");
    }

    @Test
    void consistentSmallSettingsAreAccepted()
    {
        final AeronTransport.Context ctx = valid()
            .termLength(64 * 1024)
            .maxFrameLength(8 * 1024)
            .outboundBufferLength(128 * 1024)
            .peerPendingLimit(8 * 1024 + 16)
            .mtu(576)
            .conclude();

        assertThat(ctx.termLength()).isEqualTo(64 * 1024);
        assertThat(ctx.mtu()).isEqualTo(576);
        assertThat(ctx.maxBatchLength()).as("one MTU minus Aeron's data header").isEqualTo(576 - 32);
    }

    private static void rejected(final UnaryOperator<AeronTransport.Context> change, final String message)
    {
        assertThatThrownBy(() -> change.apply(valid()).conclude())
            .as(message)
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining(message);
    }

    private static AeronTransport.Context valid()
    {
        return new AeronTransport.Context().frameHandler((buffer, offset, length) ->
        {
        });
    }
}
