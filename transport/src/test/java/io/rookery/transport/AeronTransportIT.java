package io.rookery.transport;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.rookery.transport.codecs.AgentRequestDecoder;
import io.rookery.transport.codecs.MessageHeaderDecoder;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableRingBuffer;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static io.rookery.transport.FrameValidator.TOO_SHORT;
import static io.rookery.transport.FrameValidator.TRUNCATED;
import static io.rookery.transport.FrameValidator.UNKNOWN_TEMPLATE;
import static io.rookery.transport.FrameValidator.VALID;
import static io.rookery.transport.FrameValidator.WRONG_SCHEMA;
import static io.rookery.transport.FrameValidator.WRONG_VERSION;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two real transports, each with its own embedded media driver, talking over loopback UDP.
 */
@Timeout(120)
class AeronTransportIT
{
    private static final Duration DEADLINE = Duration.ofSeconds(30);
    private static final Duration POLL = Duration.ofMillis(10);
    private static final long KEY_A = 0xA11CEL;
    private static final long KEY_B = 0xB0BL;
    private static final long KEY_UNKNOWN = 0xDEADL;
    private static final long POISON = -666;
    private static final int MAX_FRAME = 64 * 1024;

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final List<Throwable> errors = new CopyOnWriteArrayList<>();
    private final UnsafeBuffer frame = new UnsafeBuffer(new byte[MAX_FRAME + 1024]);
    private Path baseDir;

    @BeforeEach
    void createDirectory() throws IOException
    {
        final Path shm = Path.of("/dev/shm");
        baseDir = Files.isDirectory(shm) && Files.isWritable(shm) ?
            Files.createTempDirectory(shm, "rookery-transport-it-") :
            Files.createTempDirectory("rookery-transport-it-");
    }

    @AfterEach
    void closeAndDelete()
    {
        Collections.reverse(closeables);
        CloseHelper.closeAll(closeables);
        closeables.clear();
        IoUtil.delete(baseDir.toFile(), false);
        assertThat(baseDir).doesNotExist();
    }

    @Test
    void framesArriveCompleteAndInOrder()
    {
        final Inbox inboxA = new Inbox();
        final Inbox inboxB = new Inbox();
        final AeronTransport a = launch("a", 0, inboxA);
        final AeronTransport b = launch("b", 0, inboxB);
        assertThat(a.endpoint()).startsWith("127.0.0.1:").isNotEqualTo(b.endpoint());

        a.addPeer(KEY_B, b.endpoint());
        final int n = 500;
        long bytes = 0;
        for (int i = 1; i <= n; i++)
        {
            final int length = Frames.request(frame, 0, i, "agent-" + i, payload(i % 300, i));
            assertThat(a.send(KEY_B, frame, 0, length)).isEqualTo(AeronTransport.SENT);
            bytes += length;
        }

        await("all frames at B").atMost(DEADLINE).pollInterval(POLL).until(() -> inboxB.size() == n);
        for (int i = 1; i <= n; i++)
        {
            final Received received = inboxB.received.get(i - 1);
            assertThat(received.templateId()).isEqualTo(AgentRequestDecoder.TEMPLATE_ID);
            assertThat(received.correlationId()).isEqualTo(i);
            assertThat(received.agentType()).isEqualTo("counter");
            assertThat(received.agentKey()).isEqualTo("agent-" + i);
            assertThat(received.idempotencyKey()).isEqualTo("idem-" + i);
            assertThat(received.payload()).isEqualTo(payload(i % 300, i));
            assertThat(received.decodedLength()).isEqualTo(received.frameLength());
        }
        assertThat(b.counters().handlerErrors()).isZero();
        assertThat(b.counters().framesReceived()).isEqualTo(n);
        assertThat(b.counters().bytesReceived()).isEqualTo(bytes);
        assertThat(b.counters().malformedTotal()).isZero();
        assertThat(a.counters().framesSent()).isEqualTo(n);
        assertThat(a.counters().bytesSent()).isEqualTo(bytes);
        assertThat(a.counters().pendingDropped()).isZero();
        final AeronTransport.PeerStats stats = a.peerStats().get(KEY_B);
        assertThat(stats.endpoint()).isEqualTo(b.endpoint());
        assertThat(stats.framesSent()).isEqualTo(n);
        assertThat(stats.connected()).isTrue();

        b.addPeer(KEY_A, a.endpoint());
        final int length = Frames.request(frame, 0, 1_000_001, "reply", payload(10, 1));
        assertThat(b.send(KEY_A, frame, 0, length)).isEqualTo(AeronTransport.SENT);
        await("the other direction").atMost(DEADLINE).pollInterval(POLL).until(() -> inboxA.size() == 1);
        assertThat(inboxA.received.get(0).correlationId()).isEqualTo(1_000_001);
        assertThat(inboxA.received.get(0).agentKey()).isEqualTo("reply");
        assertThat(errors).isEmpty();
    }

    @Test
    void withAFrameKeyEveryDatagramIsAuthenticatedSmallBatchedAndFragmentedAlike()
    {
        final byte[] key = key(1);
        final Inbox inboxB = new Inbox();
        final AeronTransport a = launch("a", 0, new Inbox(), ctx -> ctx.frameKey(key));
        final AeronTransport b = launch("b", 0, inboxB, ctx -> ctx.frameKey(key));
        a.addPeer(KEY_B, b.endpoint());
        final int n = 300;
        for (int i = 1; i <= n; i++)
        {
            // Every 50th frame is far larger than a datagram, so it travels in fragments.
            final byte[] body = i % 50 == 0 ? payload(MAX_FRAME - 200, i) : payload(i % 90, i);
            final int length = Frames.request(frame, 0, i, "agent-" + i, body);
            assertThat(a.send(KEY_B, frame, 0, length)).isEqualTo(AeronTransport.SENT);
        }
        await("all frames at B").atMost(DEADLINE).pollInterval(POLL).until(() -> inboxB.size() == n);
        for (int i = 1; i <= n; i++)
        {
            assertThat(inboxB.received.get(i - 1).correlationId()).isEqualTo(i);
            assertThat(inboxB.received.get(i - 1).payload()).hasSize(i % 50 == 0 ? MAX_FRAME - 200 : i % 90);
        }
        assertThat(a.counters().batchesSent()).as("small frames were batched").isPositive();
        assertThat(b.counters().rejected()).isZero();
        assertThat(b.counters().malformedTotal()).isZero();
        assertThat(errors).isEmpty();
    }

    @Test
    void datagramsWithoutTheMacOrUnderAnotherKeyAreRejectedAndCountedAndNeverDelivered()
    {
        final Inbox inboxB = new Inbox();
        final AeronTransport b = launch("b", 0, inboxB, ctx -> ctx.frameKey(key(1)));
        final AeronTransport noKey = launch("no-key", 0, new Inbox());
        final AeronTransport otherKey = launch("other-key", 0, new Inbox(), ctx -> ctx.frameKey(key(2)));
        final AeronTransport member = launch("member", 0, new Inbox(), ctx -> ctx.frameKey(key(1)));
        noKey.addPeer(KEY_B, b.endpoint());
        otherKey.addPeer(KEY_B, b.endpoint());
        member.addPeer(KEY_B, b.endpoint());

        for (int i = 1; i <= 20; i++)
        {
            sendRequest(noKey, KEY_B, i, "intruder");
            sendRequest(otherKey, KEY_B, 100 + i, "other-cluster");
        }
        final int large = Frames.request(frame, 0, 999, "large", payload(MAX_FRAME - 200, 9));
        assertThat(otherKey.send(KEY_B, frame, 0, large)).isEqualTo(AeronTransport.SENT);
        await("both senders' datagrams rejected").atMost(DEADLINE).pollInterval(POLL)
            .until(() -> noKey.counters().framesSent() == 20 && otherKey.counters().framesSent() == 21 &&
                b.counters().rejected() >= 2 + MAX_FRAME / 1408);

        // A sender with the key, after the rejected ones: the only frame the handler ever sees.
        sendRequest(member, KEY_B, 7, "member");
        await("the member's frame").atMost(DEADLINE).pollInterval(POLL).until(() -> inboxB.size() == 1);
        assertThat(inboxB.received.get(0).agentKey()).isEqualTo("member");
        assertThat(b.counters().framesReceived()).isEqualTo(1);
        assertThat(b.counters().malformedTotal()).as("rejected before any parsing").isZero();
        assertThat(b.counters().handlerErrors()).isZero();

        // A receiver without a key accepts authenticated senders: turning the key on is rolled out.
        final Inbox inboxPlain = new Inbox();
        final AeronTransport plain = launch("plain", 0, inboxPlain);
        member.addPeer(KEY_A, plain.endpoint());
        sendRequest(member, KEY_A, 8, "to-plain");
        await("a keyless receiver").atMost(DEADLINE).pollInterval(POLL).until(() -> inboxPlain.size() == 1);
    }

    @Test
    void aClosedAeronClientIsReplacedAndFramesFlowAgainBothWays()
    {
        // What a process paused for longer than the driver timeout finds when it wakes up: its
        // Aeron client closed itself, taking the subscription and every publication with it.
        final Inbox inboxA = new Inbox();
        final Inbox inboxB = new Inbox();
        final AeronTransport a = launch("a", 0, inboxA);
        final AeronTransport b = launch("b", 0, inboxB);
        a.addPeer(KEY_B, b.endpoint());
        b.addPeer(KEY_A, a.endpoint());
        sendRequest(a, KEY_B, 1, "before");
        sendRequest(b, KEY_A, 2, "before");
        await("both directions up").atMost(DEADLINE).pollInterval(POLL)
            .until(() -> inboxA.size() == 1 && inboxB.size() == 1);

        final Aeron broken = a.aeronClient();
        broken.close();

        await("a new client").atMost(DEADLINE).pollInterval(POLL).until(() -> a.counters().reconnects() == 1);
        assertThat(a.aeronClient()).isNotSameAs(broken);
        assertThat(a.aeronClient().isClosed()).isFalse();
        sendRequest(a, KEY_B, 3, "after");
        sendRequest(b, KEY_A, 4, "after");
        await("a -> b again").atMost(DEADLINE).pollInterval(POLL)
            .until(() -> inboxB.received.stream().anyMatch(r -> r.correlationId() == 3));
        await("b -> a again").atMost(DEADLINE).pollInterval(POLL)
            .until(() -> inboxA.received.stream().anyMatch(r -> r.correlationId() == 4));
        assertThat(inboxB.received).extracting(Received::agentKey).containsOnly("before", "after");
        assertThat(a.counters().reconnects()).isEqualTo(1);
        assertThat(b.counters().reconnects()).isZero();
    }

    @Test
    void malformedFramesAreCountedAndDroppedAndTheReceiverKeepsServing()
    {
        final Inbox inboxB = new Inbox();
        final AeronTransport a = launch("a", 0, new Inbox());
        final AeronTransport b = launch("b", 0, inboxB);
        a.addPeer(KEY_B, b.endpoint());
        sendRequest(a, KEY_B, 1, "before");
        await("first valid frame").atMost(DEADLINE).pollInterval(POLL).until(() -> inboxB.size() == 1);

        final ExclusivePublication raw = rawPublicationTo(a, b);
        final int[] expected = new int[FrameValidator.REASON_COUNT];

        offer(raw, new byte[] {1, 2, 3});
        expected[TOO_SHORT]++;

        int length = Frames.request(frame, 0, 2, "k", payload(20, 2));
        Frames.putU16(frame, Frames.SCHEMA_ID_OFFSET, 9999);
        offer(raw, frame, length);
        expected[WRONG_SCHEMA]++;

        length = Frames.request(frame, 0, 3, "k", payload(20, 3));
        Frames.putU16(frame, Frames.VERSION_OFFSET, MessageHeaderDecoder.SCHEMA_VERSION + 1);
        offer(raw, frame, length);
        expected[WRONG_VERSION]++;

        length = Frames.request(frame, 0, 4, "k", payload(20, 4));
        Frames.putU16(frame, Frames.TEMPLATE_ID_OFFSET, 42);
        offer(raw, frame, length);
        expected[UNKNOWN_TEMPLATE]++;

        length = Frames.request(frame, 0, 5, "k", payload(20, 5));
        offer(raw, frame, length - 1);
        expected[TRUNCATED]++;

        length = Frames.request(frame, 0, 6, "k", payload(20, 6));
        Frames.putU16(frame, Frames.HEADER + AgentRequestDecoder.BLOCK_LENGTH, 1000);
        offer(raw, frame, length);
        expected[TRUNCATED]++;

        final Random random = new Random(1234);
        for (int i = 0; i < 300; i++)
        {
            final byte[] garbage = new byte[1 + random.nextInt(200)];
            random.nextBytes(garbage);
            if (garbage.length >= Frames.HEADER && random.nextBoolean())
            {
                final UnsafeBuffer plausible = new UnsafeBuffer(garbage);
                Frames.putU16(plausible, Frames.SCHEMA_ID_OFFSET, MessageHeaderDecoder.SCHEMA_ID);
                Frames.putU16(plausible, Frames.VERSION_OFFSET, 1);
            }
            final int reason = FrameValidator.validate(new UnsafeBuffer(garbage), 0, garbage.length);
            assertThat(reason).as("seeded garbage is never a valid frame").isNotEqualTo(VALID);
            expected[reason]++;
            offer(raw, garbage);
        }

        // Same publication, so it arrives after every malformed frame above has been judged.
        length = Frames.request(frame, 0, 7, "after-raw", payload(5, 7));
        offer(raw, frame, length);
        await("valid frame after the garbage").atMost(DEADLINE).pollInterval(POLL).until(() -> inboxB.size() == 2);

        long total = 0;
        for (int reason = TOO_SHORT; reason <= TRUNCATED; reason++)
        {
            assertThat(b.counters().malformed(reason)).as(FrameValidator.reasonLabel(reason))
                .isEqualTo(expected[reason]);
            total += expected[reason];
        }
        assertThat(b.counters().malformedTotal()).isEqualTo(total);
        assertThat(b.counters().handlerErrors()).isZero();
        assertThat(inboxB.received.get(1).agentKey()).isEqualTo("after-raw");

        sendRequest(a, KEY_B, 8, "after");
        await("the transport still delivers").atMost(DEADLINE).pollInterval(POLL).until(() -> inboxB.size() == 3);
        assertThat(inboxB.received.get(2).correlationId()).isEqualTo(8);
        assertThat(b.counters().framesReceived()).isEqualTo(3);
    }

    @Test
    void aBatchIsDeliveredFrameByFrameAndABadFrameInsideItIsDroppedAlone()
    {
        final Inbox inboxB = new Inbox();
        final AeronTransport a = launch("a", 0, new Inbox());
        final AeronTransport b = launch("b", 0, inboxB);
        final ExclusivePublication raw = rawPublicationTo(a, b);

        final FrameBatch batch = new FrameBatch(1376);
        final UnsafeBuffer scratch = new UnsafeBuffer(new byte[1024]);
        int length = Frames.request(scratch, 0, 1, "first", payload(10, 1));
        batch.tryAppend(scratch, 0, length);
        length = Frames.request(scratch, 0, 2, "foreign", payload(10, 2));
        Frames.putU16(scratch, Frames.SCHEMA_ID_OFFSET, 9999);
        batch.tryAppend(scratch, 0, length);
        final FrameBatch nested = new FrameBatch(256);
        nested.tryAppend(scratch, 0, Frames.ack(scratch, 0));
        nested.tryAppend(scratch, 0, Frames.ack(scratch, 0));
        batch.tryAppend(nested.buffer(), 0, nested.seal());
        length = Frames.request(scratch, 0, 3, "last", payload(10, 3));
        batch.tryAppend(scratch, 0, length);
        offer(raw, batch.buffer(), batch.seal());

        await("the valid frames of the batch").atMost(DEADLINE).pollInterval(POLL).until(() -> inboxB.size() == 2);
        assertThat(inboxB.received).extracting(Received::agentKey).containsExactly("first", "last");
        assertThat(b.counters().malformed(WRONG_SCHEMA)).isEqualTo(1);
        assertThat(b.counters().malformed(FrameValidator.NESTED_BATCH)).isEqualTo(1);
        assertThat(b.counters().framesReceived()).isEqualTo(2);
    }

    @Test
    void manySmallFramesShareAeronMessagesAndStillArriveInOrder()
    {
        final Inbox inboxB = new Inbox();
        final AeronTransport a = launch("a", 0, new Inbox());
        final AeronTransport b = launch("b", 0, inboxB);
        a.addPeer(KEY_B, b.endpoint());
        sendRequest(a, KEY_B, 0, "connect");
        await("connected").atMost(DEADLINE).pollInterval(POLL).until(() -> inboxB.size() == 1);

        // Claimed while the conductor is busy with the others, so several wait in the ring at once.
        final int n = 5_000;
        for (int i = 1; i <= n; i++)
        {
            int result;
            while ((result = a.send(KEY_B, frame, 0, Frames.request(frame, 0, i, "k", payload(8, i)))) ==
                AeronTransport.OUTBOUND_FULL)
            {
                Thread.yield();
            }
            assertThat(result).isEqualTo(AeronTransport.SENT);
        }
        await("every frame").atMost(DEADLINE).pollInterval(POLL).until(() -> inboxB.size() == n + 1);
        for (int i = 1; i <= n; i++)
        {
            assertThat(inboxB.received.get(i).correlationId()).isEqualTo(i);
        }
        assertThat(a.counters().batchesSent()).as("batches").isPositive();
        assertThat(a.counters().framesSent()).isEqualTo(n + 1);
        assertThat(b.counters().framesReceived()).isEqualTo(n + 1);
        assertThat(b.counters().malformedTotal()).isZero();
    }

    @Test
    void aFailingHandlerIsCountedAndLaterFramesStillArrive()
    {
        final Inbox inboxB = new Inbox();
        final AeronTransport a = launch("a", 0, new Inbox());
        final AeronTransport b = launch("b", 0, inboxB);
        a.addPeer(KEY_B, b.endpoint());

        sendRequest(a, KEY_B, POISON, "poison");
        sendRequest(a, KEY_B, 2, "fine");

        await("frame after the failure").atMost(DEADLINE).pollInterval(POLL).until(() -> inboxB.size() == 1);
        assertThat(inboxB.received.get(0).correlationId()).isEqualTo(2);
        assertThat(b.counters().handlerErrors()).isEqualTo(1);
        assertThat(b.counters().framesReceived()).as("the failed frame was valid").isEqualTo(2);
        assertThat(b.counters().malformedTotal()).isZero();
    }

    @Test
    void framesLargerThanTheMaximumAreRefusedAndTheMaximumFrameArrivesWhole()
    {
        final Inbox inboxB = new Inbox();
        final AeronTransport a = launch("a", 0, new Inbox());
        final AeronTransport b = launch("b", 0, inboxB);
        a.addPeer(KEY_B, b.endpoint());
        assertThat(a.maxFrameLength()).isEqualTo(MAX_FRAME);

        assertThat(a.send(KEY_B, frame, 0, MAX_FRAME + 1)).isEqualTo(AeronTransport.TOO_LARGE);
        assertThat(a.counters().tooLarge()).isEqualTo(1);
        assertThat(a.claim(KEY_B, MAX_FRAME + 1)).isEqualTo(AeronTransport.TOO_LARGE);
        assertThat(a.counters().tooLarge()).isEqualTo(2);

        final int overhead = Frames.request(frame, 0, 9, "big", new byte[0]);
        final byte[] big = payload(MAX_FRAME - overhead, 9);
        final int length = Frames.request(frame, 0, 9, "big", big);
        assertThat(length).isEqualTo(MAX_FRAME);
        assertThat(a.send(KEY_B, frame, 0, length)).isEqualTo(AeronTransport.SENT);

        await("maximum frame, fragmented and reassembled").atMost(DEADLINE).pollInterval(POLL)
            .until(() -> inboxB.size() == 1);
        assertThat(inboxB.received.get(0).payload()).isEqualTo(big);
        assertThat(inboxB.received.get(0).frameLength()).isEqualTo(MAX_FRAME);
        assertThat(a.counters().tooLarge()).isEqualTo(2);
        assertThat(b.counters().malformedTotal()).isZero();
    }

    @Test
    void claimedFramesAreEncodedInPlaceAndAbortedOnesNeverLeave()
    {
        final Inbox inboxB = new Inbox();
        final AeronTransport a = launch("a", 0, new Inbox());
        final AeronTransport b = launch("b", 0, inboxB);
        a.addPeer(KEY_B, b.endpoint());
        final int length = Frames.request(frame, 0, 0, "in-place", payload(50, 3));

        final int aborted = a.claim(KEY_B, length);
        assertThat(aborted).isNotNegative();
        Frames.request(a.outboundBuffer(), aborted + AeronTransport.frameOffset(), 1, "aborted", payload(50, 3));
        a.abort(aborted);

        final int committed = a.claim(KEY_B, length);
        assertThat(committed).isNotNegative();
        Frames.request(a.outboundBuffer(), committed + AeronTransport.frameOffset(), 2, "in-place", payload(50, 3));
        a.commit(committed);

        sendRequest(a, KEY_B, 3, "last");
        await("claimed and sent frames").atMost(DEADLINE).pollInterval(POLL).until(() -> inboxB.size() == 2);
        assertThat(inboxB.received).extracting(Received::agentKey).containsExactly("in-place", "last");
        assertThat(inboxB.received.get(0).payload()).isEqualTo(payload(50, 3));
        assertThat(a.counters().framesSent()).isEqualTo(2);
    }

    @Test
    void framesForAnUnknownPeerAreCounted()
    {
        final AeronTransport a = launch("a", 0, new Inbox());
        final int length = Frames.request(frame, 0, 1, "k", payload(10, 1));

        assertThat(a.send(KEY_UNKNOWN, frame, 0, length)).as("accepted into the ring").isEqualTo(AeronTransport.SENT);

        await("unknown peer counted").atMost(DEADLINE).pollInterval(POLL).until(() -> a.counters().unknownPeer() == 1);
        assertThat(a.counters().framesSent()).isZero();
    }

    @Test
    void framesForAPeerThatIsNotUpYetAreHeldThenDeliveredInOrder() throws IOException
    {
        final AeronTransport a = launch("a", 0, new Inbox());
        final int port = freeUdpPort();
        a.addPeer(KEY_B, "127.0.0.1:" + port);
        final int k = 40;
        for (int i = 1; i <= k; i++)
        {
            sendRequest(a, KEY_B, i, "held-" + i);
        }
        awaitConductorCaughtUp(a, 1);

        assertThat(a.counters().framesSent()).isZero();
        assertThat(a.counters().notConnected()).isPositive();
        assertThat(a.counters().pendingDropped()).isZero();
        assertThat(a.peerStats().get(KEY_B).connected()).isFalse();

        final Inbox inboxB = new Inbox();
        final AeronTransport b = launch("b", port, inboxB);
        assertThat(b.endpoint()).isEqualTo("127.0.0.1:" + port);

        await("held frames delivered").atMost(DEADLINE).pollInterval(POLL).until(() -> inboxB.size() == k);
        for (int i = 1; i <= k; i++)
        {
            assertThat(inboxB.received.get(i - 1).agentKey()).isEqualTo("held-" + i);
        }
        assertThat(a.counters().framesSent()).isEqualTo(k);
        assertThat(a.counters().pendingDropped()).isZero();
        assertThat(a.peerStats().get(KEY_B).connected()).isTrue();
    }

    @Test
    void framesBeyondThePendingLimitAreDroppedAndCountedAndRemovingThePeerDropsTheRest() throws IOException
    {
        final int frameLimit = 4096;
        final int pendingLimit = 8192;
        final AeronTransport a = launch("small", 0, new Inbox(), c -> c
            .termLength(64 * 1024)
            .maxFrameLength(frameLimit)
            .outboundBufferLength(64 * 1024)
            .peerPendingLimit(pendingLimit));
        a.addPeer(KEY_B, "127.0.0.1:" + freeUdpPort());

        final int m = 50;
        int length = 0;
        for (int i = 1; i <= m; i++)
        {
            length = Frames.request(frame, 0, i, "k", payload(900, i));
            assertThat(a.send(KEY_B, frame, 0, length)).isEqualTo(AeronTransport.SENT);
        }
        awaitConductorCaughtUp(a, 1);

        final int held = framesThatFit(pendingLimit, length);
        assertThat(held).isBetween(1, m - 1);
        assertThat(a.counters().pendingDropped()).isEqualTo(m - held);
        assertThat(a.peerStats().get(KEY_B).dropped()).isEqualTo(m - held);
        assertThat(a.counters().framesSent()).isZero();

        a.removePeer(KEY_B);
        awaitConductorCaughtUp(a, 2);

        assertThat(a.counters().pendingDropped()).as("the held frames are dropped with the peer").isEqualTo(m);
        assertThat(a.peerStats()).doesNotContainKey(KEY_B);
        assertThat(a.counters().framesSent()).isZero();
    }

    @Test
    void aClosedTransportRefusesFrames()
    {
        final AeronTransport a = launch("a", 0, new Inbox());
        final int length = Frames.request(frame, 0, 1, "k", payload(10, 1));

        a.close();
        a.close();

        assertThat(a.send(KEY_B, frame, 0, length)).isEqualTo(AeronTransport.CLOSED);
        assertThat(a.claim(KEY_B, length)).isEqualTo(AeronTransport.CLOSED);
        a.addPeer(KEY_B, "127.0.0.1:1");
        a.removePeer(KEY_B);
        assertThat(Path.of(a.aeronDirectoryName())).as("the driver deleted its directory").doesNotExist();
    }

    private AeronTransport launch(final String name, final int port, final FrameHandler handler)
    {
        return launch(name, port, handler, UnaryOperator.identity());
    }

    private AeronTransport launch(
        final String name,
        final int port,
        final FrameHandler handler,
        final UnaryOperator<AeronTransport.Context> tweak)
    {
        final AeronTransport.Context ctx = new AeronTransport.Context()
            .name(name)
            .host("127.0.0.1")
            .port(port)
            .aeronDirectoryName(baseDir.resolve(name).toString())
            .termLength(1024 * 1024)
            .maxFrameLength(MAX_FRAME)
            .outboundBufferLength(1024 * 1024)
            .peerPendingLimit(1024 * 1024)
            .receiverWindowLength(128 * 1024)
            .frameHandler(handler)
            .errorHandler(errors::add);
        final AeronTransport transport = AeronTransport.launch(tweak.apply(ctx));
        closeables.add(transport);
        return transport;
    }

    private ExclusivePublication rawPublicationTo(final AeronTransport from, final AeronTransport to)
    {
        final Aeron client = Aeron.connect(new Aeron.Context()
            .aeronDirectoryName(from.aeronDirectoryName())
            .errorHandler(errors::add));
        closeables.add(client);
        final ExclusivePublication publication = client.addExclusivePublication(
            "aeron:udp?endpoint=" + to.endpoint(), AeronTransport.STREAM_ID);
        closeables.add(publication);
        await("raw publication connected").atMost(DEADLINE).pollInterval(POLL).until(publication::isConnected);
        return publication;
    }

    private void sendRequest(final AeronTransport from, final long to, final long correlationId, final String key)
    {
        final int length = Frames.request(frame, 0, correlationId, key, payload(32, (int)correlationId));
        assertThat(from.send(to, frame, 0, length)).isEqualTo(AeronTransport.SENT);
    }

    /**
     * Frames go through the outbound ring in order: once a frame for an unknown peer, sent last,
     * has been counted, the conductor has handled every frame before it.
     */
    private void awaitConductorCaughtUp(final AeronTransport transport, final long unknownPeerCount)
    {
        final int length = Frames.request(frame, 0, 0, "marker", new byte[0]);
        assertThat(transport.send(KEY_UNKNOWN, frame, 0, length)).isEqualTo(AeronTransport.SENT);
        await("conductor caught up").atMost(DEADLINE).pollInterval(POLL)
            .until(() -> transport.counters().unknownPeer() == unknownPeerCount);
    }

    private static void offer(final ExclusivePublication publication, final byte[] bytes)
    {
        offer(publication, new UnsafeBuffer(bytes), bytes.length);
    }

    private static void offer(final ExclusivePublication publication, final DirectBuffer buffer, final int length)
    {
        await("offer accepted").atMost(DEADLINE).pollInterval(Duration.ofMillis(1))
            .until(() -> publication.offer(buffer, 0, length) > 0);
    }

    private static int framesThatFit(final int pendingLimit, final int frameLength)
    {
        final ExpandableRingBuffer sameAsThePeersQueue = new ExpandableRingBuffer(4096, pendingLimit, true);
        final UnsafeBuffer bytes = new UnsafeBuffer(new byte[frameLength]);
        int fits = 0;
        while (sameAsThePeersQueue.append(bytes, 0, frameLength))
        {
            fits++;
        }
        return fits;
    }

    private static int freeUdpPort() throws IOException
    {
        try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress()))
        {
            return socket.getLocalPort();
        }
    }

    private static byte[] key(final int seed)
    {
        final byte[] key = new byte[FrameAuthenticator.KEY_LENGTH];
        new Random(seed).nextBytes(key);
        return key;
    }

    private static byte[] payload(final int length, final int seed)
    {
        final byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    /**
     * What the handler decoded; {@code decodedLength} is how far the decoder read.
     */
    private record Received(
        int templateId,
        long correlationId,
        String agentType,
        String agentKey,
        String idempotencyKey,
        byte[] payload,
        int frameLength,
        int decodedLength)
    {
    }

    /**
     * Decodes every AgentRequest it is handed (on the transport's thread) and keeps a copy.
     */
    private static final class Inbox implements FrameHandler
    {
        final List<Received> received = new CopyOnWriteArrayList<>();
        private final MessageHeaderDecoder header = new MessageHeaderDecoder();
        private final AgentRequestDecoder decoder = new AgentRequestDecoder();

        public void onFrame(final DirectBuffer buffer, final int offset, final int length)
        {
            header.wrap(buffer, offset);
            if (header.templateId() != AgentRequestDecoder.TEMPLATE_ID)
            {
                received.add(new Received(header.templateId(), 0, null, null, null, null, length, 0));
                return;
            }
            decoder.wrap(buffer, offset + Frames.HEADER, header.blockLength(), header.version());
            final long correlationId = decoder.correlationId();
            if (correlationId == POISON)
            {
                throw new IllegalStateException("handler failure injected by the test");
            }
            final String agentType = decoder.agentType();
            final String agentKey = decoder.agentKey();
            decoder.skipSenderType();
            decoder.skipSenderKey();
            final String idempotencyKey = decoder.idempotencyKey();
            final byte[] payload = new byte[decoder.payloadLength()];
            decoder.getPayload(payload, 0, payload.length);
            received.add(new Received(AgentRequestDecoder.TEMPLATE_ID, correlationId, agentType, agentKey,
                idempotencyKey, payload, length, decoder.limit() - offset));
        }

        int size()
        {
            return received.size();
        }
    }
}
