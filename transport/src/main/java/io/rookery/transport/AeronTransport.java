package io.rookery.transport;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.aeron.Aeron;
import io.aeron.ChannelUriStringBuilder;
import io.aeron.CommonContext;
import io.aeron.ExclusivePublication;
import io.aeron.FragmentAssembler;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import io.aeron.protocol.DataHeaderFlyweight;
import io.rookery.transport.codecs.FrameBatchDecoder;
import io.rookery.transport.codecs.MessageHeaderDecoder;
import org.agrona.BitUtil;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.ErrorHandler;
import org.agrona.ExpandableRingBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentInvoker;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's Aeron endpoint: one embedded media driver with its own directory, one subscription on
 * the node's own UDP endpoint, and one {@link ExclusivePublication} per peer.
 * <p>
 * Threading: one conductor thread owns the publications and the subscription. Any thread may
 * {@link #send} or {@link #claim}/{@link #commit}: frames are written into a many-to-one ring
 * buffer that the conductor drains, so publications keep a single writer and senders never block.
 * When a peer is not connected yet or is back-pressured, its frames wait in a bounded per-peer
 * pending queue; when that is full the frame is dropped and counted rather than memory growing.
 * <p>
 * Received frames are validated ({@link FrameValidator}) and handed to the {@link FrameHandler}
 * on the conductor thread.
 */
public final class AeronTransport implements AutoCloseable
{
    /** Stream id of every Rookery frame stream. */
    public static final int STREAM_ID = 1001;

    /** {@link #send} accepted the frame into the outbound ring. */
    public static final int SENT = 0;
    /** {@link #send} refused: the frame is larger than {@link Context#maxFrameLength()}. */
    public static final int TOO_LARGE = -1;
    /** {@link #send} refused: the outbound ring is full; the conductor is behind. */
    public static final int OUTBOUND_FULL = -2;
    /** {@link #send} refused: the transport is closed. */
    public static final int CLOSED = -3;

    private static final Logger LOG = LoggerFactory.getLogger(AeronTransport.class);
    private static final int MSG_SEND = 1;
    private static final int MSG_ADD_PEER = 2;
    private static final int MSG_REMOVE_PEER = 3;
    private static final int PEER_KEY_LENGTH = BitUtil.SIZE_OF_LONG;
    private static final int PENDING_PREFIX_LENGTH = 2 * BitUtil.SIZE_OF_INT;

    private enum State
    {
        RUNNING, CLOSING, CLOSED
    }

    private final Context ctx;
    private final MediaDriver driver;
    private AgentInvoker driverInvoker;
    private final LogLimiter errorLog = new LogLimiter(5, TimeUnit.SECONDS);
    private final UnsafeBuffer pendingScratch;
    private volatile Aeron aeron;
    private volatile Subscription subscription;
    private final ManyToOneRingBuffer outbound;
    private final TransportCounters counters = new TransportCounters();
    private final FrameAuthenticator authenticator;
    private final Map<Long, PeerStats> peerStats = new ConcurrentHashMap<>();
    private final String endpoint;
    private final AgentRunner runner;
    private volatile State state;

    private AeronTransport(final Context ctx)
    {
        this.ctx = ctx;
        this.authenticator = null == ctx.frameKey() ? null : new FrameAuthenticator(ctx.frameKey());
        MediaDriver driver = null;
        Aeron aeron = null;
        Subscription subscription = null;
        try
        {
            if (ctx.embeddedDriver())
            {
                // The conductor runs the duty cycles of the driver and of the Aeron client itself: one
                // thread per node moves frames from senders to the wire and from the wire to the
                // handler, with no hand-off between threads.
                driver = MediaDriver.launchEmbedded(driverContext(ctx)
                    .threadingMode(ThreadingMode.INVOKER)
                    .errorHandler(this::onError));
                driverInvoker = driver.sharedAgentInvoker();
            }
            aeron = Aeron.connect(clientContext());
            subscription = aeron.addSubscription(subscriptionChannel(ctx.host() + ":" + ctx.port()), STREAM_ID);
            this.endpoint = resolveEndpoint(subscription, ctx, driverInvoker);

            this.pendingScratch = new UnsafeBuffer(new byte[PENDING_PREFIX_LENGTH + ctx.maxFrameLength() +
                Math.max(ctx.maxBatchLength(), 0)]);
            this.outbound = new ManyToOneRingBuffer(new UnsafeBuffer(ByteBuffer.allocateDirect(
                ctx.outboundBufferLength() + RingBufferDescriptor.TRAILER_LENGTH)));
            this.driver = driver;
            this.aeron = aeron;
            this.subscription = subscription;
            this.runner = new AgentRunner(
                ctx.idleProfile().newIdleStrategy(), this::onError, null, new Conductor());
            this.state = State.RUNNING;
            AgentRunner.startOnThread(runner, r ->
            {
                final Thread thread = new Thread(r, "rookery-transport-" + ctx.name());
                thread.setDaemon(true);
                return thread;
            });
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietCloseAll(subscription, aeron, driver);
            throw ex;
        }
    }

    /**
     * Starts a transport: its media driver (unless told to use an external one), its Aeron client,
     * its subscription and its conductor thread.
     *
     * @param ctx settings; {@link Context#conclude()} is called here.
     * @return the running transport.
     */
    public static AeronTransport launch(final Context ctx)
    {
        ctx.conclude();
        return new AeronTransport(ctx);
    }

    /**
     * @return {@code host:port} this node receives frames on; peers publish to it.
     */
    public String endpoint()
    {
        return endpoint;
    }

    /**
     * @return the directory of this transport's media driver.
     */
    public String aeronDirectoryName()
    {
        return ctx.aeronDirectoryName();
    }

    /**
     * @return the Aeron client in use now (replaced when it closes); for tests that break it.
     */
    Aeron aeronClient()
    {
        return aeron;
    }

    /**
     * @return counters of this transport.
     */
    public TransportCounters counters()
    {
        return counters;
    }

    /**
     * @return per-peer send statistics, keyed by peer key.
     */
    public Map<Long, PeerStats> peerStats()
    {
        return peerStats;
    }

    /**
     * @return the largest frame {@link #send} accepts.
     */
    public int maxFrameLength()
    {
        return ctx.maxFrameLength();
    }

    /**
     * Makes a peer known; its publication is opened by the conductor. Re-adding a peer with a new
     * endpoint replaces the old publication. Thread-safe.
     *
     * @param peerKey  64-bit key of the peer node.
     * @param endpoint {@code host:port} the peer subscribes on.
     */
    public void addPeer(final long peerKey, final String endpoint)
    {
        final byte[] bytes = endpoint.getBytes(StandardCharsets.US_ASCII);
        final UnsafeBuffer record = new UnsafeBuffer(new byte[PEER_KEY_LENGTH + bytes.length]);
        record.putLong(0, peerKey);
        record.putBytes(PEER_KEY_LENGTH, bytes);
        writeControl(MSG_ADD_PEER, record, record.capacity());
    }

    /**
     * Forgets a peer: its publication is closed and frames still pending for it are dropped and
     * counted. Thread-safe.
     *
     * @param peerKey 64-bit key of the peer node.
     */
    public void removePeer(final long peerKey)
    {
        final UnsafeBuffer record = new UnsafeBuffer(new byte[PEER_KEY_LENGTH]);
        record.putLong(0, peerKey);
        writeControl(MSG_REMOVE_PEER, record, record.capacity());
    }

    /**
     * Queues a frame for a peer, copying it. Thread-safe and non-blocking.
     *
     * @param peerKey of the destination peer.
     * @param buffer  holding the encoded frame.
     * @param offset  of the frame.
     * @param length  of the frame.
     * @return {@link #SENT}, {@link #TOO_LARGE}, {@link #OUTBOUND_FULL} or {@link #CLOSED}.
     */
    public int send(final long peerKey, final DirectBuffer buffer, final int offset, final int length)
    {
        final int index = claim(peerKey, length);
        if (index < 0)
        {
            return index;
        }
        outbound.buffer().putBytes(index + PEER_KEY_LENGTH, buffer, offset, length);
        outbound.commit(index);
        return SENT;
    }

    /**
     * Claims space for a frame in the outbound ring so the caller can encode it in place, without
     * a copy. Encode into {@link #outboundBuffer()} at {@code index + frameOffset()}, then call
     * {@link #commit(int)} (or {@link #abort(int)}) promptly: the conductor waits for it.
     *
     * @param peerKey     of the destination peer.
     * @param frameLength exact length of the frame to be encoded.
     * @return a record index (&gt;= 0) or {@link #TOO_LARGE}, {@link #OUTBOUND_FULL}, {@link #CLOSED}.
     */
    public int claim(final long peerKey, final int frameLength)
    {
        if (state != State.RUNNING)
        {
            return CLOSED;
        }
        if (frameLength > ctx.maxFrameLength())
        {
            counters.tooLarge.incrementAndGet();
            return TOO_LARGE;
        }
        final int index = outbound.tryClaim(MSG_SEND, PEER_KEY_LENGTH + frameLength);
        if (index < 0)
        {
            counters.outboundFull.incrementAndGet();
            return OUTBOUND_FULL;
        }
        outbound.buffer().putLong(index, peerKey);
        return index;
    }

    /**
     * @return the buffer claimed records live in.
     */
    public MutableDirectBuffer outboundBuffer()
    {
        return outbound.buffer();
    }

    /**
     * @return offset of the frame within a claimed record.
     */
    public static int frameOffset()
    {
        return PEER_KEY_LENGTH;
    }

    /**
     * Publishes a record obtained from {@link #claim(long, int)}.
     *
     * @param index returned by {@link #claim(long, int)}.
     */
    public void commit(final int index)
    {
        outbound.commit(index);
    }

    /**
     * Abandons a record obtained from {@link #claim(long, int)}.
     *
     * @param index returned by {@link #claim(long, int)}.
     */
    public void abort(final int index)
    {
        outbound.abort(index);
    }

    /**
     * Stops the conductor, then closes the publications, the subscription, the client and the
     * media driver (whose directory is deleted).
     */
    public void close()
    {
        if (state != State.RUNNING)
        {
            return;
        }
        state = State.CLOSING;
        CloseHelper.close(runner);
        // Read after the conductor stopped: it may have replaced both while reconnecting.
        CloseHelper.closeAll(subscription, aeron, driver);
        state = State.CLOSED;
    }

    private void writeControl(final int msgTypeId, final DirectBuffer record, final int length)
    {
        if (state != State.RUNNING)
        {
            return;
        }
        // Control records are rare; if the ring is momentarily full, wait for the conductor.
        final long deadlineNs = System.nanoTime() + ctx.driverTimeout().toNanos();
        while (!outbound.write(msgTypeId, record, 0, length))
        {
            if (System.nanoTime() - deadlineNs > 0 || state != State.RUNNING)
            {
                throw new IllegalStateException("transport outbound ring stayed full for " + ctx.driverTimeout());
            }
            Thread.onSpinWait();
        }
    }

    /**
     * Errors from Aeron's threads and the conductor: counted, and passed on at a bounded rate so a
     * failure that repeats every cycle cannot flood the log.
     */
    private void onError(final Throwable ex)
    {
        counters.errors.incrementAndGet();
        final long permits = errorLog.tryAcquire(System.nanoTime());
        if (permits > 0)
        {
            if (permits > 1)
            {
                LOG.warn("{} more transport errors since the last one logged", permits - 1);
            }
            ctx.errorHandler().onError(ex);
        }
    }

    /**
     * Adds to a counter only the conductor writes: an ordered store, not an atomic
     * read-modify-write, since a lock-prefixed instruction per frame is measurable at millions of
     * frames per second. Readers on other threads see a recent value.
     */
    private static void bump(final AtomicLong counter, final long delta)
    {
        counter.lazySet(counter.get() + delta);
    }

    private Aeron.Context clientContext()
    {
        return new Aeron.Context()
            .aeronDirectoryName(ctx.aeronDirectoryName())
            .useConductorAgentInvoker(null != driverInvoker)
            .driverAgentInvoker(driverInvoker)
            .driverTimeoutMs(ctx.driverTimeout().toMillis())
            .errorHandler(this::onError);
    }

    /**
     * The media driver settings of a transport's embedded driver; public so that benchmarks can run
     * plain Aeron under exactly the same settings as a baseline.
     *
     * @param ctx concluded transport settings.
     * @return a driver context (its error handler is Aeron's default until set).
     */
    public static MediaDriver.Context driverContext(final Context ctx)
    {
        return new MediaDriver.Context()
            .aeronDirectoryName(ctx.aeronDirectoryName())
            .threadingMode(ThreadingMode.SHARED)
            .sharedIdleStrategy(ctx.idleProfile().newIdleStrategy())
            // The driver's async executor only resolves names and creates log buffers: rare work the
            // conductor can do inline. Its own polling thread cost 1 % of a core on an idle node.
            .asyncExecutorEnabled(false)
            .dirDeleteOnStart(true)
            .dirDeleteOnShutdown(true)
            .termBufferSparseFile(true)
            .publicationTermBufferLength(ctx.termLength())
            .mtuLength(ctx.mtu())
            .initialWindowLength(ctx.receiverWindowLength())
            .socketRcvbufLength(ctx.receiverWindowLength())
            .publicationLingerTimeoutNs(TimeUnit.MILLISECONDS.toNanos(500))
            .warnIfDirectoryExists(false);
    }

    /**
     * @param ctx      transport settings.
     * @param endpoint {@code host:port} of the receiving peer.
     * @return the channel of a transport's publication to that peer.
     */
    public static String publicationChannel(final Context ctx, final String endpoint)
    {
        return new ChannelUriStringBuilder()
            .media(CommonContext.UDP_MEDIA)
            .endpoint(endpoint)
            .mtu(ctx.mtu())
            .termLength(ctx.termLength())
            .build();
    }

    /**
     * @param endpoint {@code host:port} to receive on.
     * @return the channel of a transport's subscription.
     */
    public static String subscriptionChannel(final String endpoint)
    {
        return new ChannelUriStringBuilder().media(CommonContext.UDP_MEDIA).endpoint(endpoint).build();
    }

    private static String resolveEndpoint(
        final Subscription subscription, final Context ctx, final AgentInvoker driverInvoker)
    {
        if (ctx.port() != 0)
        {
            return ctx.host() + ":" + ctx.port();
        }
        final long deadlineNs = System.nanoTime() + ctx.driverTimeout().toNanos();
        while (true)
        {
            final List<String> addresses = subscription.localSocketAddresses();
            if (!addresses.isEmpty())
            {
                final String address = addresses.get(0);
                return ctx.host() + address.substring(address.lastIndexOf(':'));
            }
            if (System.nanoTime() - deadlineNs > 0)
            {
                throw new IllegalStateException("could not resolve the port of " + subscription.channel());
            }
            if (null != driverInvoker)
            {
                driverInvoker.invoke();
            }
            Thread.onSpinWait();
        }
    }

    /**
     * Send statistics of one peer, readable from any thread.
     */
    public static final class PeerStats
    {
        private final String endpoint;
        private final AtomicLong framesSent = new AtomicLong();
        private final AtomicLong bytesSent = new AtomicLong();
        private final AtomicLong backPressured = new AtomicLong();
        private final AtomicLong dropped = new AtomicLong();
        private volatile boolean connected;

        PeerStats(final String endpoint)
        {
            this.endpoint = endpoint;
        }

        /** @return the peer's endpoint. */
        public String endpoint()
        {
            return endpoint;
        }

        /** @return frames published to the peer. */
        public long framesSent()
        {
            return framesSent.get();
        }

        /** @return bytes published to the peer. */
        public long bytesSent()
        {
            return bytesSent.get();
        }

        /** @return offers to this peer refused with back-pressure. */
        public long backPressured()
        {
            return backPressured.get();
        }

        /** @return frames for this peer dropped (pending queue full, or peer removed). */
        public long dropped()
        {
            return dropped.get();
        }

        /** @return whether the publication to this peer has a connected subscriber. */
        public boolean connected()
        {
            return connected;
        }
    }

    private final class Peer implements ExpandableRingBuffer.MessageConsumer
    {
        final long key;
        final String endpoint;
        final PeerStats stats;
        final ExpandableRingBuffer pending;
        final FrameBatch batch;
        boolean dirty;
        ExclusivePublication publication;

        Peer(final long key, final String endpoint)
        {
            this.key = key;
            this.endpoint = endpoint;
            this.stats = new PeerStats(endpoint);
            this.pending = new ExpandableRingBuffer(4096, ctx.peerPendingLimit(), true);
            this.batch = ctx.maxBatchLength() > 0 ? new FrameBatch(ctx.maxBatchLength()) : null;
            this.publication = openPublication();
        }

        /**
         * @return a new publication to the peer, or null while the Aeron client is unusable (the
         * conductor reconnects it, and the next offer tries again).
         */
        ExclusivePublication openPublication()
        {
            final String channel = publicationChannel(ctx, endpoint);
            try
            {
                return aeron.addExclusivePublication(channel, STREAM_ID);
            }
            catch (final RuntimeException ex)
            {
                onError(ex);
                return null;
            }
        }

        /**
         * Adds a frame to this peer's batch, sending the batch first when the frame does not fit;
         * frames too large for any batch go out on their own, after what was batched before them.
         */
        void enqueue(final DirectBuffer buffer, final int offset, final int length)
        {
            if (batch == null || !batch.fits(length))
            {
                flushBatch();
                send(buffer, offset, length, 1, length);
                return;
            }
            if (!batch.tryAppend(buffer, offset, length))
            {
                flushBatch();
                batch.tryAppend(buffer, offset, length);
            }
        }

        /**
         * Sends what the batch holds: a lone frame as itself, several as one batch message.
         */
        void flushBatch()
        {
            if (batch == null || batch.isEmpty())
            {
                return;
            }
            final int count = batch.count();
            if (count == 1)
            {
                final int length = batch.firstFrameLength();
                send(batch.buffer(), batch.firstFrameOffset(), length, 1, length);
            }
            else
            {
                final int length = batch.seal();
                send(batch.buffer(), 0, length, count,
                    length - FrameBatch.HEADER_LENGTH - count * FrameBatch.ENTRY_HEADER_LENGTH);
            }
            batch.reset();
        }

        /**
         * @param frames     frames in the message (more than one for a batch).
         * @param frameBytes bytes of those frames, without batch framing.
         * @return true when the message was published or queued, false when it was dropped.
         */
        boolean send(final DirectBuffer buffer, final int offset, final int length, final int frames,
            final int frameBytes)
        {
            if (pending.isEmpty() && offer(buffer, offset, length, frames, frameBytes))
            {
                return true;
            }
            // Queued with its frame count and bytes in front, for the counters when it leaves.
            pendingScratch.putInt(0, frames);
            pendingScratch.putInt(BitUtil.SIZE_OF_INT, frameBytes);
            pendingScratch.putBytes(PENDING_PREFIX_LENGTH, buffer, offset, length);
            if (pending.append(pendingScratch, 0, PENDING_PREFIX_LENGTH + length))
            {
                return true;
            }
            bump(stats.dropped, frames);
            bump(counters.pendingDropped, frames);
            return false;
        }

        int drainPending()
        {
            return pending.isEmpty() ? 0 : pending.consume(this, ctx.fragmentLimit());
        }

        public boolean onMessage(
            final MutableDirectBuffer buffer, final int offset, final int length, final int headOffset)
        {
            return offer(buffer, offset + PENDING_PREFIX_LENGTH, length - PENDING_PREFIX_LENGTH,
                buffer.getInt(offset), buffer.getInt(offset + BitUtil.SIZE_OF_INT));
        }

        boolean offer(final DirectBuffer buffer, final int offset, final int length, final int frames,
            final int frameBytes)
        {
            if (publication == null && (publication = openPublication()) == null)
            {
                bump(counters.notConnected, 1);
                return false;
            }
            final long result = publication.offer(buffer, offset, length, authenticator);
            if (result > 0)
            {
                bump(stats.framesSent, frames);
                bump(stats.bytesSent, frameBytes);
                if (!stats.connected)
                {
                    stats.connected = true;
                }
                bump(counters.framesSent, frames);
                bump(counters.bytesSent, frameBytes);
                if (frames > 1)
                {
                    bump(counters.batchesSent, 1);
                }
                return true;
            }
            if (result == Publication.BACK_PRESSURED)
            {
                bump(stats.backPressured, 1);
                bump(counters.backPressured, 1);
            }
            else if (result == Publication.NOT_CONNECTED)
            {
                stats.connected = false;
                bump(counters.notConnected, 1);
            }
            else if (result == Publication.CLOSED || result == Publication.MAX_POSITION_EXCEEDED)
            {
                CloseHelper.quietClose(publication);
                publication = null;
            }
            return false;
        }

        void close()
        {
            final int size = pending.size();
            if (size > 0)
            {
                final long[] count = new long[1];
                pending.forEach((b, o, l, h) ->
                {
                    count[0] += b.getInt(o);
                    return true;
                }, Integer.MAX_VALUE);
                bump(stats.dropped, count[0]);
                bump(counters.pendingDropped, count[0]);
                pending.reset(4096);
            }
            if (batch != null && !batch.isEmpty())
            {
                bump(stats.dropped, batch.count());
                bump(counters.pendingDropped, batch.count());
                batch.reset();
            }
            CloseHelper.quietClose(publication);
        }
    }

    private final class Conductor implements Agent, MessageHandler, FragmentHandler
    {
        private final Long2ObjectHashMap<Peer> peers = new Long2ObjectHashMap<>();
        private final ArrayList<Peer> peerList = new ArrayList<>();
        private final ArrayList<Peer> dirty = new ArrayList<>();
        private final FragmentAssembler assembler = new FragmentAssembler(this);
        private final FragmentHandler receiver = null == authenticator ? assembler : this::onAuthenticatedFragment;
        private final LogLimiter rejectedLog = new LogLimiter(5, TimeUnit.SECONDS);
        private final LogLimiter malformedLog = new LogLimiter(5, TimeUnit.SECONDS);
        private final LogLimiter handlerErrorLog = new LogLimiter(5, TimeUnit.SECONDS);
        private long nextReconnectNs;

        public int doWork()
        {
            int work = 0;
            if (null != driverInvoker)
            {
                work += driverInvoker.invoke();
                final AgentInvoker client = aeron.conductorAgentInvoker();
                if (null != client && !aeron.isClosed())
                {
                    work += client.invoke();
                }
            }
            if (aeron.isClosed())
            {
                return work + reconnect();
            }
            work += outbound.read(this, ctx.fragmentLimit());
            for (int i = 0, size = dirty.size(); i < size; i++)
            {
                final Peer peer = dirty.get(i);
                peer.dirty = false;
                peer.flushBatch();
            }
            dirty.clear();
            for (int i = 0, size = peerList.size(); i < size; i++)
            {
                work += peerList.get(i).drainPending();
            }
            work += subscription.poll(receiver, ctx.fragmentLimit());
            return work;
        }

        /**
         * Each datagram is checked before reassembly, so a forged fragment never reaches the
         * assembler; the assembler then drops a message one of whose fragments was rejected, as it
         * does one with a fragment lost.
         */
        private void onAuthenticatedFragment(
            final DirectBuffer buffer, final int offset, final int length, final Header header)
        {
            if (authenticator.verify(header, buffer, offset, length))
            {
                assembler.onFragment(buffer, offset, length, header);
                return;
            }
            bump(counters.rejected, 1);
            final long permits = rejectedLog.tryAcquire(System.nanoTime());
            if (permits > 0)
            {
                LOG.warn("rejected a datagram that does not carry the cluster's MAC: from={} length={} " +
                    "(rejected since last line: {}); is a node running without the cluster secret, or with another?",
                    header.context(), length, permits);
            }
        }

        /**
         * The Aeron client closed under us: its conductor missed the driver timeout (a process
         * paused longer than that, a stalled host) or the driver dropped it as dead. Everything it
         * owned is gone, so connect a new client to the driver, subscribe again on the same
         * endpoint, and let each peer reopen its publication on its next offer. Frames still in the
         * outbound ring and the pending queues wait; those the old publications held are lost, as
         * in any crash of a link, and the layers above resend what must not be lost.
         */
        private int reconnect()
        {
            final long nowNs = System.nanoTime();
            if (nowNs - nextReconnectNs < 0)
            {
                return 0;
            }
            nextReconnectNs = nowNs + TimeUnit.MILLISECONDS.toNanos(500);
            CloseHelper.quietClose(aeron);
            for (int i = 0, size = peerList.size(); i < size; i++)
            {
                peerList.get(i).publication = null;
            }
            Aeron newAeron = null;
            try
            {
                newAeron = Aeron.connect(clientContext());
                final Subscription newSubscription = newAeron.addSubscription(subscriptionChannel(endpoint), STREAM_ID);
                assembler.clear();
                subscription = newSubscription;
                aeron = newAeron;
                counters.reconnects.incrementAndGet();
                LOG.warn("transport {}: the Aeron client had closed (a pause longer than the driver timeout of {}?); " +
                    "connected a new one to {} and subscribed again on {}", ctx.name(), ctx.driverTimeout(),
                    ctx.aeronDirectoryName(), endpoint);
            }
            catch (final RuntimeException ex)
            {
                CloseHelper.quietClose(newAeron);
                onError(ex);
            }
            return 1;
        }

        public void onClose()
        {
            for (final Peer peer : peerList)
            {
                peer.close();
            }
            peerList.clear();
            peers.clear();
        }

        public String roleName()
        {
            return "rookery-transport-" + ctx.name();
        }

        public void onMessage(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
        {
            final long peerKey = buffer.getLong(index);
            switch (msgTypeId)
            {
                case MSG_SEND:
                {
                    final Peer peer = peers.get(peerKey);
                    if (peer == null)
                    {
                        bump(counters.unknownPeer, 1);
                    }
                    else
                    {
                        peer.enqueue(buffer, index + PEER_KEY_LENGTH, length - PEER_KEY_LENGTH);
                        if (!peer.dirty)
                        {
                            peer.dirty = true;
                            dirty.add(peer);
                        }
                    }
                    break;
                }
                case MSG_ADD_PEER:
                {
                    final String peerEndpoint = buffer.getStringWithoutLengthAscii(
                        index + PEER_KEY_LENGTH, length - PEER_KEY_LENGTH);
                    final Peer existing = peers.get(peerKey);
                    if (existing != null && existing.endpoint.equals(peerEndpoint))
                    {
                        break;
                    }
                    if (existing != null)
                    {
                        removePeer(existing);
                    }
                    final Peer peer = new Peer(peerKey, peerEndpoint);
                    peers.put(peerKey, peer);
                    peerList.add(peer);
                    peerStats.put(peerKey, peer.stats);
                    LOG.info("transport peer added key={} endpoint={}", Long.toHexString(peerKey), peerEndpoint);
                    break;
                }
                case MSG_REMOVE_PEER:
                {
                    final Peer existing = peers.get(peerKey);
                    if (existing != null)
                    {
                        removePeer(existing);
                        LOG.info("transport peer removed key={} endpoint={}",
                            Long.toHexString(peerKey), existing.endpoint);
                    }
                    break;
                }
                default:
                    break;
            }
        }

        private void removePeer(final Peer peer)
        {
            peers.remove(peer.key);
            peerList.remove(peer);
            if (peer.dirty)
            {
                peer.dirty = false;
                dirty.remove(peer);
            }
            peerStats.remove(peer.key, peer.stats);
            peer.close();
        }

        public void onFragment(final DirectBuffer buffer, final int offset, final int length, final Header header)
        {
            final int reason = FrameValidator.validate(buffer, offset, length);
            if (reason != FrameValidator.VALID)
            {
                dropMalformed(reason, length, header);
            }
            else if (FrameBatch.isBatch(buffer, offset))
            {
                deliverBatch(buffer, offset, header);
            }
            else
            {
                deliver(buffer, offset, length);
            }
        }

        /**
         * Each frame of a batch is validated and delivered on its own, in order; a bad one is
         * dropped without its neighbours.
         */
        private void deliverBatch(final DirectBuffer buffer, final int offset, final Header header)
        {
            final int blockLength = buffer.getShort(offset, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
            int position = offset + MessageHeaderDecoder.ENCODED_LENGTH + blockLength;
            final int entryBlockLength = buffer.getShort(position, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
            final int count = buffer.getShort(position + 2, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
            position += FrameBatch.HEADER_LENGTH - MessageHeaderDecoder.ENCODED_LENGTH - FrameBatchDecoder.BLOCK_LENGTH;
            for (int i = 0; i < count; i++)
            {
                position += entryBlockLength;
                final int frameLength = buffer.getInt(position, ByteOrder.LITTLE_ENDIAN);
                position += FrameBatch.ENTRY_HEADER_LENGTH;
                int reason = FrameValidator.validate(buffer, position, frameLength);
                if (reason == FrameValidator.VALID && FrameBatch.isBatch(buffer, position))
                {
                    reason = FrameValidator.NESTED_BATCH;
                }
                if (reason == FrameValidator.VALID)
                {
                    deliver(buffer, position, frameLength);
                }
                else
                {
                    dropMalformed(reason, frameLength, header);
                }
                position += frameLength;
            }
        }

        private void dropMalformed(final int reason, final int length, final Header header)
        {
            counters.malformed.incrementAndGet(reason);
            final long permits = malformedLog.tryAcquire(System.nanoTime());
            if (permits > 0)
            {
                LOG.warn("dropped malformed frame reason={} length={} from={} (frames dropped since last line: {})",
                    FrameValidator.reasonLabel(reason), length, header.context(), permits);
            }
        }

        private void deliver(final DirectBuffer buffer, final int offset, final int length)
        {
            bump(counters.framesReceived, 1);
            bump(counters.bytesReceived, length);
            try
            {
                ctx.frameHandler().onFrame(buffer, offset, length);
            }
            catch (final Throwable ex)
            {
                bump(counters.handlerErrors, 1);
                if (handlerErrorLog.tryAcquire(System.nanoTime()) > 0)
                {
                    LOG.error("frame handler failed; frame dropped", ex);
                }
            }
        }
    }

    /**
     * Settings of a transport. Every setting has a default; {@link #conclude()} validates them.
     */
    public static final class Context
    {
        private String name = "node";
        private String host = "127.0.0.1";
        private int port = 0;
        private String aeronDirectoryName;
        private boolean embeddedDriver = true;
        private IdleProfile idleProfile = IdleProfile.POLITE;
        private int mtu = 1408;
        private int termLength = 16 * 1024 * 1024;
        private int receiverWindowLength = 2 * 1024 * 1024;
        private int maxFrameLength = 1024 * 1024 + 64 * 1024;
        private int outboundBufferLength = 16 * 1024 * 1024;
        private int peerPendingLimit = 8 * 1024 * 1024;
        private int fragmentLimit = 64;
        private int maxBatchLength = -1;
        private Duration driverTimeout = Duration.ofSeconds(10);
        private byte[] frameKey;
        private FrameHandler frameHandler;
        private ErrorHandler errorHandler = ex -> LOG.error("transport error", ex);

        /**
         * Fails fast naming the first bad setting.
         *
         * @return this.
         */
        public Context conclude()
        {
            Objects.requireNonNull(frameHandler, "transport.frameHandler must be set");
            if (host == null || host.isBlank())
            {
                throw new IllegalArgumentException("transport.host must be set");
            }
            if (port < 0 || port > 65535)
            {
                throw new IllegalArgumentException("transport.port out of range: " + port);
            }
            if (aeronDirectoryName == null)
            {
                aeronDirectoryName = CommonContext.generateRandomDirName();
            }
            if (!BitUtil.isPowerOfTwo(termLength) || termLength < 64 * 1024)
            {
                throw new IllegalArgumentException(
                    "transport.termLength must be a power of two >= 64KiB: " + termLength);
            }
            if (maxFrameLength > termLength / 8)
            {
                throw new IllegalArgumentException("transport.maxFrameLength " + maxFrameLength +
                    " exceeds termLength/8 = " + termLength / 8 + " (Aeron's largest message)");
            }
            if (!BitUtil.isPowerOfTwo(outboundBufferLength))
            {
                throw new IllegalArgumentException(
                    "transport.outboundBufferLength must be a power of two: " + outboundBufferLength);
            }
            if (maxFrameLength + PEER_KEY_LENGTH + 8 > outboundBufferLength / 8)
            {
                throw new IllegalArgumentException("transport.outboundBufferLength " + outboundBufferLength +
                    " too small for maxFrameLength " + maxFrameLength + " (needs 8x)");
            }
            if (peerPendingLimit < maxFrameLength + PENDING_PREFIX_LENGTH + ExpandableRingBuffer.HEADER_LENGTH)
            {
                throw new IllegalArgumentException("transport.peerPendingLimit must hold one maximum frame");
            }
            if (mtu < 576 || mtu > 65504 || mtu % 32 != 0)
            {
                throw new IllegalArgumentException("transport.mtu must be a multiple of 32 in [576, 65504]: " + mtu);
            }
            if (maxBatchLength < 0)
            {
                maxBatchLength = mtu - DataHeaderFlyweight.HEADER_LENGTH;
            }
            if (maxBatchLength > 0 && (maxBatchLength < FrameBatch.HEADER_LENGTH + 2 * FrameBatch.ENTRY_HEADER_LENGTH +
                2 * MessageHeaderDecoder.ENCODED_LENGTH || maxBatchLength > maxFrameLength))
            {
                throw new IllegalArgumentException("transport.maxBatchLength must be 0 (no batching) or room for two " +
                    "frames and at most maxFrameLength: " + maxBatchLength);
            }
            return this;
        }

        /** @return name used in thread names and logs. */
        public String name()
        {
            return name;
        }

        /**
         * @param name used in thread names and logs.
         * @return this.
         */
        public Context name(final String name)
        {
            this.name = name;
            return this;
        }

        /** @return address this node receives on and peers publish to. */
        public String host()
        {
            return host;
        }

        /**
         * @param host address this node receives on and peers publish to (default 127.0.0.1).
         * @return this.
         */
        public Context host(final String host)
        {
            this.host = host;
            return this;
        }

        /** @return UDP port to receive on; 0 picks a free one. */
        public int port()
        {
            return port;
        }

        /**
         * @param port UDP port to receive on; 0 (default) picks a free one.
         * @return this.
         */
        public Context port(final int port)
        {
            this.port = port;
            return this;
        }

        /** @return the media driver directory. */
        public String aeronDirectoryName()
        {
            return aeronDirectoryName;
        }

        /**
         * @param dir media driver directory; one per node (default: a fresh random one under /dev/shm).
         * @return this.
         */
        public Context aeronDirectoryName(final String dir)
        {
            this.aeronDirectoryName = dir;
            return this;
        }

        /** @return whether this transport runs its own media driver. */
        public boolean embeddedDriver()
        {
            return embeddedDriver;
        }

        /**
         * @param embedded true (default) to run an embedded media driver, false to use one that is
         *                 already running in {@link #aeronDirectoryName()}.
         * @return this.
         */
        public Context embeddedDriver(final boolean embedded)
        {
            this.embeddedDriver = embedded;
            return this;
        }

        /** @return idle profile of the conductor and the media driver. */
        public IdleProfile idleProfile()
        {
            return idleProfile;
        }

        /**
         * @param profile idle profile of the conductor and the media driver (default polite).
         * @return this.
         */
        public Context idleProfile(final IdleProfile profile)
        {
            this.idleProfile = profile;
            return this;
        }

        /** @return UDP MTU. */
        public int mtu()
        {
            return mtu;
        }

        /**
         * @param mtu UDP MTU (default 1408: fits a 1500-byte link with headroom).
         * @return this.
         */
        public Context mtu(final int mtu)
        {
            this.mtu = mtu;
            return this;
        }

        /** @return term buffer length of publications. */
        public int termLength()
        {
            return termLength;
        }

        /**
         * @param termLength term buffer length of publications (default 16 MiB, sparse).
         * @return this.
         */
        public Context termLength(final int termLength)
        {
            this.termLength = termLength;
            return this;
        }

        /** @return receiver window and socket receive buffer length. */
        public int receiverWindowLength()
        {
            return receiverWindowLength;
        }

        /**
         * @param length receiver window and socket receive buffer length (default 2 MiB).
         * @return this.
         */
        public Context receiverWindowLength(final int length)
        {
            this.receiverWindowLength = length;
            return this;
        }

        /** @return largest frame accepted for sending. */
        public int maxFrameLength()
        {
            return maxFrameLength;
        }

        /**
         * @param length largest frame accepted for sending (default 1 MiB + 64 KiB of headers).
         * @return this.
         */
        public Context maxFrameLength(final int length)
        {
            this.maxFrameLength = length;
            return this;
        }

        /** @return capacity of the outbound ring buffer. */
        public int outboundBufferLength()
        {
            return outboundBufferLength;
        }

        /**
         * @param length capacity of the outbound ring buffer, a power of two (default 16 MiB).
         * @return this.
         */
        public Context outboundBufferLength(final int length)
        {
            this.outboundBufferLength = length;
            return this;
        }

        /** @return bytes of frames that may wait for one peer. */
        public int peerPendingLimit()
        {
            return peerPendingLimit;
        }

        /**
         * @param limit bytes of frames that may wait for one unconnected or back-pressured peer
         *              before further frames to it are dropped (default 8 MiB).
         * @return this.
         */
        public Context peerPendingLimit(final int limit)
        {
            this.peerPendingLimit = limit;
            return this;
        }

        /** @return fragments and records handled per duty cycle step. */
        public int fragmentLimit()
        {
            return fragmentLimit;
        }

        /**
         * @param limit fragments and records handled per duty cycle step (default 64).
         * @return this.
         */
        public Context fragmentLimit(final int limit)
        {
            this.fragmentLimit = limit;
            return this;
        }

        /**
         * @return largest batch of small frames sent to a peer as one Aeron message; 0 when
         * batching is off. Defaults to one MTU's payload, so a batch is one datagram.
         */
        public int maxBatchLength()
        {
            return maxBatchLength;
        }

        /**
         * @param length largest batch in bytes, 0 to send every frame on its own.
         * @return this.
         */
        public Context maxBatchLength(final int length)
        {
            this.maxBatchLength = length;
            return this;
        }

        /** @return how long to wait on the media driver. */
        public Duration driverTimeout()
        {
            return driverTimeout;
        }

        /**
         * @param timeout how long to wait on the media driver (default 10 s).
         * @return this.
         */
        public Context driverTimeout(final Duration timeout)
        {
            this.driverTimeout = timeout;
            return this;
        }

        /** @return the key datagrams are authenticated with, or null when they are not. */
        public byte[] frameKey()
        {
            return frameKey;
        }

        /**
         * @param key {@link FrameAuthenticator#KEY_LENGTH} bytes derived from the cluster secret: every
         *            datagram sent carries a MAC under it and every datagram received must, or it is
         *            dropped and counted as rejected; null (default) for no authentication.
         * @return this.
         */
        public Context frameKey(final byte[] key)
        {
            if (null != key && key.length != FrameAuthenticator.KEY_LENGTH)
            {
                throw new IllegalArgumentException(
                    "transport.frameKey must have " + FrameAuthenticator.KEY_LENGTH + " bytes: " + key.length);
            }
            this.frameKey = null == key ? null : key.clone();
            return this;
        }

        /** @return receiver of valid frames. */
        public FrameHandler frameHandler()
        {
            return frameHandler;
        }

        /**
         * @param handler receiver of valid frames, called on the conductor thread.
         * @return this.
         */
        public Context frameHandler(final FrameHandler handler)
        {
            this.frameHandler = handler;
            return this;
        }

        /** @return handler of asynchronous errors. */
        public ErrorHandler errorHandler()
        {
            return errorHandler;
        }

        /**
         * @param handler of asynchronous errors (default: log).
         * @return this.
         */
        public Context errorHandler(final ErrorHandler handler)
        {
            this.errorHandler = handler;
            return this;
        }
    }
}
