package io.rookery.jmh.peers;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.rookery.testing.TestPorts;
import org.agrona.IoUtil;
import org.jgroups.JChannel;
import org.jgroups.protocols.raft.RAFT;
import org.jgroups.raft.blocks.CounterService;
import org.jgroups.raft.blocks.RaftAsyncCounter;

/**
 * A replicated counter on jgroups-raft: three members, each a JChannel on loopback TCP in this
 * JVM, with the file log fsynced on every appended batch (as Rookery's Ratis log is). Increments
 * are spread over the three members (followers forward to the leader, as Rookery's non-leaders do).
 */
final class JGroupsRaftCounter implements AutoCloseable
{
    private static final String[] IDS = {"A", "B", "C"};

    private final Path dir;
    private final JChannel[] channels = new JChannel[IDS.length];
    private final RaftAsyncCounter[] counters = new RaftAsyncCounter[IDS.length];
    private final AtomicInteger next = new AtomicInteger();

    JGroupsRaftCounter() throws Exception
    {
        dir = Files.createTempDirectory("rookery-bench-jgroups-raft-");
        final CounterService[] services = new CounterService[IDS.length];
        for (int i = 0; i < IDS.length; i++)
        {
            final String xml = stack(IDS[i], TestPorts.next(), dir);
            channels[i] = new JChannel(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
            channels[i].name(IDS[i]);
            services[i] = new CounterService(channels[i]);
        }
        for (final JChannel channel : channels)
        {
            channel.connect("rookery-bench-raft");
        }
        awaitLeader();
        for (int i = 0; i < IDS.length; i++)
        {
            counters[i] = services[i].getOrCreateAsyncCounter("bench", 0).toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        }
    }

    /**
     * @return the counter's value, read through the leader's log.
     */
    long value() throws Exception
    {
        return counters[0].get().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    /**
     * Starts one increment through the next member.
     *
     * @return completes with whether the increment committed.
     */
    CompletableFuture<Boolean> increment()
    {
        return counters[next.getAndIncrement() % counters.length].incrementAndGet().toCompletableFuture()
            .handle((value, ex) -> ex == null);
    }

    public void close()
    {
        for (int i = channels.length - 1; i >= 0; i--)
        {
            if (channels[i] != null)
            {
                channels[i].close();
            }
        }
        IoUtil.delete(dir.toFile(), true);
    }

    private void awaitLeader() throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() - deadlineNs < 0)
        {
            Object leader = null;
            boolean agreed = true;
            for (final JChannel channel : channels)
            {
                final Object seen = channel.getProtocolStack().<RAFT>findProtocol(RAFT.class).leader();
                agreed &= seen != null && (leader == null || leader.equals(seen));
                leader = seen;
            }
            if (agreed)
            {
                return;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("jgroups-raft elected no leader within 60 s");
    }

    private static String stack(final String id, final int port, final Path dir)
    {
        return "<config xmlns=\"urn:org:jgroups\">" +
            "<TCP bind_addr=\"127.0.0.1\" bind_port=\"" + port + "\" port_range=\"0\"/>" +
            "<LOCAL_PING/>" +
            "<MERGE3/>" +
            "<FD_ALL3/>" +
            "<VERIFY_SUSPECT2 timeout=\"1.5s\"/>" +
            "<pbcast.NAKACK2 use_mcast_xmit=\"false\"/>" +
            "<UNICAST3/>" +
            "<pbcast.STABLE/>" +
            "<raft.NO_DUPES/>" +
            "<pbcast.GMS join_timeout=\"2s\"/>" +
            "<UFC/>" +
            "<MFC/>" +
            "<FRAG4/>" +
            "<raft.ELECTION/>" +
            "<raft.RAFT members=\"A,B,C\" raft_id=\"" + id + "\"" +
            " log_class=\"org.jgroups.protocols.raft.FileBasedLog\"" +
            " log_dir=\"" + dir + "\" log_use_fsync=\"true\"/>" +
            "<raft.REDIRECT/>" +
            "</config>";
    }
}
