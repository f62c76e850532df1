package io.rookery.chaos;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The network the nodes under test live on. Preferably one Linux network namespace per node,
 * joined by a bridge, with addresses from the benchmarking range 198.18.0.0/15, so faults cut
 * real traffic with iptables inside each namespace. Where namespaces cannot be made (not root, no
 * {@code ip}), it falls back to loopback addresses, where partitions and packet loss cannot be
 * injected and are reported as skipped.
 */
public final class NetworkLab implements AutoCloseable
{
    /**
     * How the nodes are networked.
     */
    public enum Mode
    {
        NETNS, LOOPBACK
    }

    private static final Logger LOG = LoggerFactory.getLogger(NetworkLab.class);
    private static final String PREFIX = "rkc";
    private static final String BRIDGE = PREFIX + "-br";
    private static final String HARNESS_ADDRESS = "198.18.0.1";
    private static final Pattern PACKETS = Pattern.compile("^\\s*(\\d+)\\s+\\d+\\s+DROP", Pattern.MULTILINE);

    private final int nodes;
    private final Mode mode;
    private final String why;
    private final boolean netem;

    private NetworkLab(final int nodes, final Mode mode, final String why, final boolean netem)
    {
        this.nodes = nodes;
        this.mode = mode;
        this.why = why;
        this.netem = netem;
    }

    /**
     * Builds the network: namespaces when possible (installing iptables with apt-get if missing),
     * else loopback.
     *
     * @param nodes     number of nodes.
     * @param requested NETNS, LOOPBACK, or null for "namespaces if possible".
     * @return the lab.
     */
    public static NetworkLab create(final int nodes, final Mode requested)
    {
        if (requested == Mode.LOOPBACK)
        {
            return new NetworkLab(nodes, Mode.LOOPBACK, "loopback requested", false);
        }
        try
        {
            cleanUp(nodes);
            ensureIptables();
            run("ip", "link", "add", BRIDGE, "type", "bridge");
            run("ip", "addr", "add", HARNESS_ADDRESS + "/24", "dev", BRIDGE);
            run("ip", "link", "set", BRIDGE, "up");
            for (int i = 0; i < nodes; i++)
            {
                final String ns = namespace(i);
                run("ip", "netns", "add", ns);
                run("ip", "link", "add", PREFIX + "-v" + i, "type", "veth", "peer", "name", PREFIX + "-p" + i);
                run("ip", "link", "set", PREFIX + "-p" + i, "netns", ns);
                run("ip", "link", "set", PREFIX + "-v" + i, "master", BRIDGE);
                run("ip", "link", "set", PREFIX + "-v" + i, "up");
                run("ip", "netns", "exec", ns, "ip", "addr", "add", nodeAddress(i) + "/24", "dev", PREFIX + "-p" + i);
                run("ip", "netns", "exec", ns, "ip", "link", "set", PREFIX + "-p" + i, "up");
                run("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up");
                run(iptablesIn(i, "-F"));
            }
            final boolean netem = probe("ip", "netns", "exec", namespace(0), "tc", "qdisc", "add", "dev",
                PREFIX + "-p0", "root", "netem", "delay", "1ms");
            if (netem)
            {
                probe("ip", "netns", "exec", namespace(0), "tc", "qdisc", "del", "dev", PREFIX + "-p0", "root");
            }
            LOG.info("network lab: {} namespaces on bridge {} (198.18.0.0/24), netem {}", nodes, BRIDGE,
                netem ? "available" : "not available");
            return new NetworkLab(nodes, Mode.NETNS, "network namespaces", netem);
        }
        catch (final IOException | RuntimeException ex)
        {
            cleanUp(nodes);
            if (requested == Mode.NETNS)
            {
                throw new IllegalStateException("network namespaces requested but unavailable: " + ex.getMessage(), ex);
            }
            LOG.warn("network namespaces unavailable ({}); falling back to loopback", ex.getMessage());
            return new NetworkLab(nodes, Mode.LOOPBACK, "namespaces unavailable: " + ex.getMessage(), false);
        }
    }

    /** @return how the nodes are networked. */
    public Mode mode()
    {
        return mode;
    }

    /** @return why this mode runs. */
    public String why()
    {
        return why;
    }

    /** @return whether partitions and packet loss can be injected. */
    public boolean canCutTraffic()
    {
        return mode == Mode.NETNS;
    }

    /** @return whether tc netem (delay, reorder) works in this kernel. */
    public boolean netem()
    {
        return netem;
    }

    /**
     * @param i node index.
     * @return the address node i binds.
     */
    public String address(final int i)
    {
        return mode == Mode.NETNS ? nodeAddress(i) : "127.0.0.1";
    }

    /**
     * @param i node index.
     * @return what to put in front of node i's command.
     */
    public List<String> commandPrefix(final int i)
    {
        return mode == Mode.NETNS ? List.of("ip", "netns", "exec", namespace(i)) : List.of();
    }

    /**
     * Drops all traffic between two nodes, in both directions.
     *
     * @param a a node.
     * @param b another node.
     */
    public void cut(final int a, final int b)
    {
        dropFrom(a, b);
        dropFrom(b, a);
    }

    /**
     * Drops what node {@code to} receives from node {@code from} (one-way).
     *
     * @param to   the receiving node.
     * @param from the sending node.
     */
    public void dropFrom(final int to, final int from)
    {
        requireNetns();
        iptables(to, "-A", "INPUT", "-s", nodeAddress(from), "-j", "DROP");
    }

    /**
     * Drops a random share of the packets a node receives.
     *
     * @param node        the node.
     * @param probability share dropped.
     */
    public void loss(final int node, final double probability)
    {
        requireNetns();
        iptables(node, "-A", "INPUT", "-m", "statistic", "--mode", "random", "--probability",
            String.format(java.util.Locale.ROOT, "%.2f", probability), "-j", "DROP");
    }

    /**
     * Applies a netem discipline to a node's link.
     *
     * @param node the node.
     * @param spec netem arguments, for example {@code delay 60ms 20ms}.
     * @return the qdisc now in place.
     */
    public String netem(final int node, final String spec)
    {
        final List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", namespace(node), "tc", "qdisc",
            "add", "dev", PREFIX + "-p" + node, "root", "netem"));
        command.addAll(List.of(spec.split(" ")));
        try
        {
            run(command.toArray(String[]::new));
            return output("ip", "netns", "exec", namespace(node), "tc", "qdisc", "show", "dev", PREFIX + "-p" + node)
                .trim();
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("netem failed: " + ex.getMessage(), ex);
        }
    }

    /**
     * @param node the node.
     * @return what was removed.
     */
    public String clearNetem(final int node)
    {
        return probe("ip", "netns", "exec", namespace(node), "tc", "qdisc", "del", "dev", PREFIX + "-p" + node,
            "root") ? "netem removed" : "no netem to remove";
    }

    /**
     * @param node a node.
     * @return packets dropped by the rules in its namespace since they were added.
     */
    public long dropped(final int node)
    {
        if (mode != Mode.NETNS)
        {
            return 0;
        }
        try
        {
            final String out = output(iptablesIn(node, "-L", "INPUT", "-v", "-n", "-x"));
            long dropped = 0;
            final Matcher m = PACKETS.matcher(out);
            while (m.find())
            {
                dropped += Long.parseLong(m.group(1));
            }
            return dropped;
        }
        catch (final IOException ex)
        {
            return -1;
        }
    }

    /**
     * Removes every rule in every namespace.
     */
    public void heal()
    {
        if (mode != Mode.NETNS)
        {
            return;
        }
        for (int i = 0; i < nodes; i++)
        {
            iptables(i, "-F");
        }
    }

    /**
     * Deletes the namespaces, links and bridge.
     */
    public void close()
    {
        if (mode == Mode.NETNS)
        {
            cleanUp(nodes);
        }
    }

    private void requireNetns()
    {
        if (mode != Mode.NETNS)
        {
            throw new IllegalStateException("traffic cannot be cut in " + mode + " mode");
        }
    }

    private void iptables(final int node, final String... args)
    {
        try
        {
            run(iptablesIn(node, args));
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("iptables failed: " + ex.getMessage(), ex);
        }
    }

    /**
     * An iptables command in a node's namespace; {@code -w} waits for the xtables lock, so heals
     * that run at once do not fail on each other.
     */
    private static String[] iptablesIn(final int node, final String... args)
    {
        final List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", namespace(node), "iptables", "-w"));
        command.addAll(List.of(args));
        return command.toArray(String[]::new);
    }

    private static String namespace(final int i)
    {
        return PREFIX + "-n" + i;
    }

    private static String nodeAddress(final int i)
    {
        return "198.18.0." + (11 + i);
    }

    private static void ensureIptables() throws IOException
    {
        if (probe("iptables", "--version"))
        {
            return;
        }
        LOG.info("installing iptables with apt-get");
        run("apt-get", "install", "-y", "-qq", "iptables");
    }

    private static void cleanUp(final int nodes)
    {
        for (int i = 0; i < Math.max(nodes, 9); i++)
        {
            probe("ip", "netns", "del", namespace(i));
            probe("ip", "link", "del", PREFIX + "-v" + i);
        }
        probe("ip", "link", "del", BRIDGE);
    }

    private static boolean probe(final String... command)
    {
        try
        {
            run(command);
            return true;
        }
        catch (final IOException | RuntimeException ex)
        {
            return false;
        }
    }

    private static void run(final String... command) throws IOException
    {
        output(command);
    }

    private static String output(final String... command) throws IOException
    {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try
        {
            final byte[] out = process.getInputStream().readAllBytes();
            if (!process.waitFor(60, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                throw new IOException(String.join(" ", command) + " timed out");
            }
            final String text = new String(out, StandardCharsets.UTF_8);
            if (process.exitValue() != 0)
            {
                throw new IOException(String.join(" ", command) + " failed: " + text.trim());
            }
            return text;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", ex);
        }
    }
}
