package io.rookery.jmh.transport;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

import io.rookery.jmh.Link;
import io.rookery.jmh.Window;
import io.rookery.transport.AeronTransport;
import io.rookery.transport.FrameHandler;
import io.rookery.transport.IdleProfile;
import io.rookery.transport.codecs.EphemeralMessageDecoder;
import io.rookery.transport.codecs.EphemeralMessageEncoder;
import io.rookery.transport.codecs.MessageHeaderDecoder;
import io.rookery.transport.codecs.MessageHeaderEncoder;
import org.agrona.BitUtil;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Rookery's transport between two nodes' transports: the benchmark thread claims space in the
 * sender's outbound ring and encodes an SBE {@code EphemeralMessage} frame carrying the payload in
 * place; the sender's conductor publishes it on the peer's exclusive publication; the receiver's
 * conductor reassembles, validates and hands it to a handler that decodes it. Everything a
 * node-to-node agent message costs below the agent runtime.
 */
final class RookeryTransportLink implements Link, FrameHandler
{
    private static final long RECEIVER_KEY = 0xB0BL;
    private static final byte[] TYPE = "bench-sink".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] KEY = "sink-0".getBytes(StandardCharsets.US_ASCII);

    private final Path dir;
    private final AeronTransport sender;
    private final AeronTransport receiver;
    private final UnsafeBuffer payload;
    private final int payloadLength;
    private final int frameLength;
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final EphemeralMessageEncoder encoder = new EphemeralMessageEncoder();
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final EphemeralMessageDecoder decoder = new EphemeralMessageDecoder();
    private final AtomicLong received = new AtomicLong();
    private long count;
    private long baseline;
    private long wrongLength;

    RookeryTransportLink(
        final Path dir, final int payloadLength, final IdleProfile idle, final int mtu, final boolean authenticated)
    {
        this.dir = dir;
        this.payloadLength = payloadLength;
        this.frameLength = MessageHeaderEncoder.ENCODED_LENGTH + EphemeralMessageEncoder.BLOCK_LENGTH +
            EphemeralMessageEncoder.targetTypeHeaderLength() + TYPE.length +
            EphemeralMessageEncoder.targetKeyHeaderLength() + KEY.length +
            EphemeralMessageEncoder.senderTypeHeaderLength() + EphemeralMessageEncoder.senderKeyHeaderLength() +
            EphemeralMessageEncoder.payloadHeaderLength() + payloadLength;
        payload = new UnsafeBuffer(ByteBuffer.allocateDirect(BitUtil.align(Math.max(payloadLength, 1), 64)));
        for (int i = 0; i < payloadLength; i++)
        {
            payload.putByte(i, (byte)i);
        }
        // Any 16 bytes do: both ends hold the same key, as nodes sharing a cluster secret do.
        final byte[] key = authenticated ? "bench-frame-key!".getBytes(StandardCharsets.US_ASCII) : null;
        receiver = AeronTransport.launch(settings("rookery-receiver", idle, mtu).frameKey(key).frameHandler(this));
        sender = AeronTransport.launch(settings("rookery-sender", idle, mtu).frameKey(key)
            .frameHandler((buffer, offset, length) -> { }));
        sender.addPeer(RECEIVER_KEY, receiver.endpoint());
        // Connected once a first frame arrives; frames sent before wait in the peer's pending queue.
        final long deadlineNs = System.nanoTime() + Window.STALL_NS;
        long warmSent = 0;
        while (received.get() < Math.max(1, warmSent))
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                throw new IllegalStateException("the transports did not connect");
            }
            if (received.get() == 0 && trySend())
            {
                warmSent++;
            }
            Thread.yield();
        }
        baseline = warmSent;
    }

    private AeronTransport.Context settings(final String name, final IdleProfile idle, final int mtu)
    {
        return new AeronTransport.Context()
            .name(name)
            .host("127.0.0.1")
            .port(0)
            .aeronDirectoryName(dir.resolve(name).toString())
            .idleProfile(idle)
            .mtu(mtu);
    }

    public boolean trySend()
    {
        final int index = sender.claim(RECEIVER_KEY, frameLength);
        if (index < 0)
        {
            return false;
        }
        encoder.wrapAndApplyHeader(sender.outboundBuffer(), index + AeronTransport.frameOffset(), headerEncoder)
            .senderNode(1)
            .partition(0)
            .putTargetType(TYPE, 0, TYPE.length)
            .putTargetKey(KEY, 0, KEY.length)
            .putSenderType(TYPE, 0, 0)
            .putSenderKey(KEY, 0, 0)
            .putPayload(payload, 0, payloadLength);
        sender.commit(index);
        return true;
    }

    public void onFrame(final DirectBuffer buffer, final int offset, final int length)
    {
        headerDecoder.wrap(buffer, offset);
        decoder.wrap(buffer, offset + MessageHeaderDecoder.ENCODED_LENGTH, headerDecoder.blockLength(),
            headerDecoder.version());
        decoder.skipTargetType();
        decoder.skipTargetKey();
        decoder.skipSenderType();
        decoder.skipSenderKey();
        if (decoder.payloadLength() != payloadLength)
        {
            wrongLength++;
        }
        received.lazySet(++count);
    }

    public long received()
    {
        return received.get() - baseline;
    }

    public void close()
    {
        CloseHelper.closeAll(sender, receiver);
        IoUtil.delete(dir.resolve("rookery-sender").toFile(), true);
        IoUtil.delete(dir.resolve("rookery-receiver").toFile(), true);
        if (wrongLength > 0)
        {
            throw new IllegalStateException(wrongLength + " frames arrived with a wrong payload length");
        }
    }
}
