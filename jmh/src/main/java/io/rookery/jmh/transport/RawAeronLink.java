package io.rookery.jmh.transport;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Subscription;
import io.aeron.driver.MediaDriver;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import io.rookery.jmh.Link;
import io.rookery.transport.AeronTransport;
import io.rookery.transport.IdleProfile;
import org.agrona.BitUtil;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.IoUtil;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The baseline: plain Aeron between two media drivers with the settings Rookery's transport uses
 * (threading, idle strategy, term length, MTU, receiver window, channel), an exclusive publication
 * offered from the benchmark thread and a subscription polled by one receiver thread that counts
 * the messages. No framing, no validation, no handler: what Aeron itself costs.
 */
final class RawAeronLink implements Link
{
    private final Path dir;
    private final MediaDriver senderDriver;
    private final MediaDriver receiverDriver;
    private final Aeron senderClient;
    private final Aeron receiverClient;
    private final ExclusivePublication publication;
    private final AgentRunner receiver;
    private final UnsafeBuffer message;
    private final int length;
    private final AtomicLong received = new AtomicLong();

    RawAeronLink(final Path dir, final int length, final IdleProfile idle, final int mtu)
    {
        this.dir = dir;
        this.length = length;
        final AeronTransport.Context send = settings(dir.resolve("raw-sender").toString(), idle, mtu);
        final AeronTransport.Context receive = settings(dir.resolve("raw-receiver").toString(), idle, mtu);
        senderDriver = MediaDriver.launchEmbedded(AeronTransport.driverContext(send));
        receiverDriver = MediaDriver.launchEmbedded(AeronTransport.driverContext(receive));
        senderClient = Aeron.connect(new Aeron.Context().aeronDirectoryName(send.aeronDirectoryName()));
        receiverClient = Aeron.connect(new Aeron.Context().aeronDirectoryName(receive.aeronDirectoryName()));

        final Subscription subscription = receiverClient.addSubscription(
            AeronTransport.subscriptionChannel("127.0.0.1:0"), AeronTransport.STREAM_ID);
        String endpoint = null;
        while (endpoint == null)
        {
            final List<String> addresses = subscription.localSocketAddresses();
            endpoint = addresses.isEmpty() ? null : addresses.get(0);
            Thread.onSpinWait();
        }
        publication = senderClient.addExclusivePublication(
            AeronTransport.publicationChannel(send, endpoint), AeronTransport.STREAM_ID);
        while (!publication.isConnected())
        {
            Thread.yield();
        }

        message = new UnsafeBuffer(ByteBuffer.allocateDirect(BitUtil.align(length, 64)));
        for (int i = 0; i < length; i++)
        {
            message.putByte(i, (byte)i);
        }
        receiver = new AgentRunner(idle.newIdleStrategy(), Throwable::printStackTrace, null,
            new Receiver(subscription, received));
        AgentRunner.startOnThread(receiver);
    }

    static AeronTransport.Context settings(final String aeronDir, final IdleProfile idle, final int mtu)
    {
        return new AeronTransport.Context()
            .aeronDirectoryName(aeronDir)
            .idleProfile(idle)
            .mtu(mtu)
            .frameHandler((buffer, offset, length) -> { })
            .conclude();
    }

    public boolean trySend()
    {
        return publication.offer(message, 0, length) > 0;
    }

    public long received()
    {
        return received.get();
    }

    public void close()
    {
        CloseHelper.closeAll(receiver, publication, senderClient, receiverClient, senderDriver, receiverDriver);
        IoUtil.delete(dir.resolve("raw-sender").toFile(), true);
        IoUtil.delete(dir.resolve("raw-receiver").toFile(), true);
    }

    private static final class Receiver implements Agent, FragmentHandler
    {
        private final Subscription subscription;
        private final AtomicLong received;
        private long count;

        Receiver(final Subscription subscription, final AtomicLong received)
        {
            this.subscription = subscription;
            this.received = received;
        }

        public int doWork()
        {
            return subscription.poll(this, 64);
        }

        public void onFragment(final DirectBuffer buffer, final int offset, final int length, final Header header)
        {
            received.lazySet(++count);
        }

        public String roleName()
        {
            return "raw-aeron-receiver";
        }
    }
}
