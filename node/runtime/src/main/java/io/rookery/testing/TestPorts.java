package io.rookery.testing;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Ports for the nodes of test and benchmark clusters, handed out below the kernel's ephemeral
 * range (ip_local_port_range starts at 32768 by default). Asking the kernel for a free port
 * (binding port 0) and binding it again later races with every outgoing connection of the same
 * machine, which takes its source port from that range: a node of a benchmark once failed to
 * start with "Address already in use" on its HTTP port. Ports here are handed out in sequence,
 * each probed free for TCP and UDP, never twice in a JVM until the range wraps; processes start
 * at different offsets (from their pid) so concurrent test JVMs rarely probe the same ports.
 */
public final class TestPorts
{
    private static final int LOW = 20_000;
    private static final int HIGH = 32_000;
    private static final AtomicInteger NEXT =
        new AtomicInteger((int)((ProcessHandle.current().pid() * 997) % (HIGH - LOW)));

    private TestPorts()
    {
    }

    /**
     * @return a port free for both TCP and UDP on every local address when this returns.
     */
    public static int next()
    {
        for (int i = 0; i < HIGH - LOW; i++)
        {
            final int port = LOW + Math.floorMod(NEXT.getAndIncrement(), HIGH - LOW);
            if (isFree(port))
            {
                return port;
            }
        }
        throw new IllegalStateException("no free port between " + LOW + " and " + HIGH);
    }

    private static boolean isFree(final int port)
    {
        try (ServerSocket tcp = new ServerSocket();
            DatagramSocket udp = new DatagramSocket(null))
        {
            tcp.bind(new InetSocketAddress(port));
            udp.bind(new InetSocketAddress(port));
            return true;
        }
        catch (final IOException ex)
        {
            return false;
        }
    }
}
