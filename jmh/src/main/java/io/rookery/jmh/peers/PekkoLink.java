package io.rookery.jmh.peers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.rookery.jmh.Link;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Props;
import org.agrona.IoUtil;

/**
 * Apache Pekko classic remoting between two actor systems in this JVM over Artery (TCP or Aeron
 * UDP) on loopback: the benchmark thread tells a remote actor, which counts what it receives.
 * Messages are {@code byte[]}, which Pekko serializes with its built-in ByteArraySerializer
 * straight into Artery's buffers. Settings are Pekko's defaults, which its documentation gives
 * as the throughput configuration, except that logging is quiet; see docs/performance.md.
 */
final class PekkoLink implements Link
{
    private final ActorSystem receiver;
    private final ActorSystem sender;
    private final ActorRef target;
    private final byte[] payload;
    private final AtomicLong received = new AtomicLong();
    private final Path aeronDir;

    PekkoLink(final String transport, final int payloadLength)
    {
        // Each system's embedded media driver gets its own directory under this one, removed on close
        // (Pekko's default, /dev/shm/aeron-<user>, outlives the run).
        aeronDir = createTempDirectory();
        final Config config = ConfigFactory.parseString(
            "pekko.loglevel = WARNING\n" +
            "pekko.stdout-loglevel = WARNING\n" +
            "pekko.actor.provider = remote\n" +
            "pekko.remote.warn-about-direct-use = off\n" +
            "pekko.remote.artery.transport = " + transport + "\n" +
            "pekko.remote.artery.canonical.hostname = \"127.0.0.1\"\n" +
            "pekko.remote.artery.canonical.port = 0\n")
            .withFallback(ConfigFactory.load());
        receiver = ActorSystem.create("receiver", withAeronDir(config, "receiver"));
        sender = ActorSystem.create("sender", withAeronDir(config, "sender"));
        final AtomicLong counter = received;
        receiver.actorOf(Props.create(Counter.class, () -> new Counter(counter)), "counter");
        final Address address = ((ExtendedActorSystem)receiver).provider().getDefaultAddress();
        try
        {
            target = sender.actorSelection(address + "/user/counter").resolveOne(Duration.ofSeconds(30))
                .toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        catch (final Exception ex)
        {
            close();
            throw new IllegalStateException("could not resolve the remote counter at " + address, ex);
        }
        payload = new byte[payloadLength];
    }

    private Config withAeronDir(final Config config, final String name)
    {
        return ConfigFactory.parseString("pekko.remote.artery.advanced.aeron.aeron-dir = \"" +
            aeronDir.resolve(name) + "\"").withFallback(config);
    }

    private static Path createTempDirectory()
    {
        try
        {
            final Path shm = Path.of("/dev/shm");
            return Files.isDirectory(shm) ? Files.createTempDirectory(shm, "rookery-bench-pekko-") :
                Files.createTempDirectory("rookery-bench-pekko-");
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    public boolean trySend()
    {
        target.tell(payload, ActorRef.noSender());
        return true;
    }

    public long received()
    {
        return received.get();
    }

    public void close()
    {
        sender.terminate();
        receiver.terminate();
        try
        {
            sender.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
            receiver.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException("actor systems did not terminate", ex);
        }
        finally
        {
            IoUtil.delete(aeronDir.toFile(), true);
        }
    }

    /**
     * Counts every message it handles.
     */
    static final class Counter extends AbstractActor
    {
        private final AtomicLong received;
        private long count;

        Counter(final AtomicLong received)
        {
            this.received = received;
        }

        public Receive createReceive()
        {
            return receiveBuilder().match(byte[].class, message -> received.lazySet(++count)).build();
        }
    }
}
