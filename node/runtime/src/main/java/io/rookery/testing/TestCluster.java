package io.rookery.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import io.rookery.node.RookeryNode;
import io.rookery.raft.GroupStatus;

/**
 * A cluster of real nodes inside one JVM, for integration tests: real Aeron media drivers, Ratis
 * servers, RocksDB stores and ScaleCube gossip, each node on its own loopback ports and its own
 * temporary data directory, all removed on {@link #close()}.
 * <p>
 * Ports are chosen once, so a stopped node restarts on the same endpoints with the same data.
 */
public final class TestCluster implements AutoCloseable
{
    private static final Duration SETTLED_FOR = Duration.ofSeconds(3);
    private final Path root;
    private final List<RookeryNode.Context> contexts = new ArrayList<>();
    private final List<RookeryNode> nodes = new ArrayList<>();
    private final Consumer<RookeryNode.Context> customizer;

    private TestCluster(final int size, final Consumer<RookeryNode.Context> customizer)
    {
        this.customizer = customizer;
        try
        {
            this.root = Files.createTempDirectory("rookery-test-cluster-");
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        final List<String> members = new ArrayList<>();
        final int[] gossipPorts = new int[size];
        for (int i = 0; i < size; i++)
        {
            gossipPorts[i] = TestPorts.next();
            members.add(nodeId(i) + "@127.0.0.1:" + gossipPorts[i]);
        }
        for (int i = 0; i < size; i++)
        {
            contexts.add(newContext(i, gossipPorts[i]).initialMembers(members));
            nodes.add(null);
        }
    }

    /**
     * Starts a cluster whose nodes all are initial members, and waits until each has started.
     *
     * @param size       number of nodes.
     * @param customizer adjusts each node's settings before start (may be a no-op).
     * @return the running cluster.
     */
    public static TestCluster start(final int size, final Consumer<RookeryNode.Context> customizer)
    {
        final TestCluster cluster = new TestCluster(size, customizer);
        // A thread per node: each start waits until it sees all the others, so a smaller pool would deadlock.
        final ExecutorService starters = Executors.newFixedThreadPool(size, r -> new Thread(r, "test-cluster-start"));
        try
        {
            final List<CompletableFuture<RookeryNode>> starting = new ArrayList<>();
            for (int i = 0; i < size; i++)
            {
                final RookeryNode.Context ctx = cluster.contexts.get(i);
                starting.add(CompletableFuture.supplyAsync(() -> RookeryNode.start(ctx), starters));
            }
            for (int i = 0; i < size; i++)
            {
                cluster.nodes.set(i, starting.get(i).join());
            }
            return cluster;
        }
        catch (final CompletionException ex)
        {
            cluster.close();
            throw ex;
        }
        finally
        {
            starters.shutdown();
        }
    }

    /**
     * @param index node index.
     * @return the node's id.
     */
    public static String nodeId(final int index)
    {
        return "n" + (index + 1);
    }

    /** @return number of node slots (running or not). */
    public int size()
    {
        return nodes.size();
    }

    /**
     * @param index node index.
     * @return the running node, or null when stopped.
     */
    public RookeryNode node(final int index)
    {
        return nodes.get(index);
    }

    /** @return the running nodes. */
    public List<RookeryNode> running()
    {
        return nodes.stream().filter(n -> n != null).toList();
    }

    /**
     * @param nodeId a node id.
     * @return the node's index.
     */
    public int indexOf(final String nodeId)
    {
        for (int i = 0; i < contexts.size(); i++)
        {
            if (nodeId(i).equals(nodeId))
            {
                return i;
            }
        }
        throw new IllegalArgumentException("no node " + nodeId);
    }

    /**
     * Waits until every partition is served by exactly one running node.
     *
     * @param timeout how long to wait.
     */
    public void awaitAllPartitionsLed(final Duration timeout)
    {
        await("every partition served by one leader", timeout, () ->
        {
            final RookeryNode any = running().get(0);
            for (int p = 0; p < any.context().partitionCount(); p++)
            {
                if (servingLeader(p) == null)
                {
                    return false;
                }
            }
            return true;
        });
    }

    /**
     * Waits until the cluster is at rest: every partition served by exactly one running node, every
     * running node's own group led by that node (when leadership balancing is on) and no partition
     * handoff in progress. What a test wants before it picks "the leader of" something.
     *
     * @param timeout how long to wait.
     */
    public void awaitSettled(final Duration timeout)
    {
        // At rest for a few seconds with the same leaders, so that a test that kills "the leader" next
        // kills one that has led for a while, not one still taking over.
        final long[] restingSinceNs = {0};
        final String[] restingWith = {null};
        await("every partition served once, own groups led by their home nodes, no moves, for " +
            SETTLED_FOR.toSeconds() + " s", timeout, () ->
        {
            final String leaders = restingLeaders();
            if (leaders == null || !leaders.equals(restingWith[0]))
            {
                restingWith[0] = leaders;
                restingSinceNs[0] = System.nanoTime();
                return false;
            }
            return System.nanoTime() - restingSinceNs[0] >= SETTLED_FOR.toNanos();
        });
    }

    /** @return who leads what at which term when the cluster is at rest, else null. */
    private String restingLeaders()
    {
        final StringBuilder leaders = new StringBuilder();
        final RookeryNode any = running().get(0);
        for (int p = 0; p < any.context().partitionCount(); p++)
        {
            final RookeryNode leader = servingLeader(p);
            if (leader == null)
            {
                return null;
            }
            leaders.append(leader.nodeId()).append('@').append(leader.servingTerm(p)).append(',');
        }
        for (final RookeryNode node : running())
        {
            if (node.context().balanceLeaders() && node.groups().hosts(node.ownGroup()) &&
                node.groups().readyLeaderTerm(node.ownGroup()) < 0)
            {
                return null;
            }
            if (node.membership().local().movesInProgress() > 0)
            {
                return null;
            }
        }
        return leaders.toString();
    }

    /**
     * @param partition a partition.
     * @return the running node serving the partition as leader, or null (none, or several claim
     * it while a change settles).
     */
    public RookeryNode servingLeader(final int partition)
    {
        RookeryNode leader = null;
        for (final RookeryNode node : running())
        {
            if (node.servingTerm(partition) >= 0)
            {
                if (leader != null)
                {
                    return null;
                }
                leader = node;
            }
        }
        return leader;
    }

    /**
     * @return the running node that serves the most partitions as leader (the first such on a tie).
     */
    public RookeryNode busiestLeader()
    {
        RookeryNode busiest = null;
        int most = -1;
        for (final RookeryNode node : running())
        {
            final int led = partitionsServedBy(node).size();
            if (led > most)
            {
                most = led;
                busiest = node;
            }
        }
        return busiest;
    }

    /**
     * @param node a running node.
     * @return the partitions it serves as leader now.
     */
    public static Set<Integer> partitionsServedBy(final RookeryNode node)
    {
        final Set<Integer> served = new HashSet<>();
        for (int p = 0; p < node.context().partitionCount(); p++)
        {
            if (node.servingTerm(p) >= 0)
            {
                served.add(p);
            }
        }
        return served;
    }

    /**
     * @return ids of the nodes that serve at least one partition as leader.
     */
    public Set<String> leaderNodes()
    {
        final Set<String> leaders = new HashSet<>();
        final RookeryNode any = running().get(0);
        for (int p = 0; p < any.context().partitionCount(); p++)
        {
            final RookeryNode leader = servingLeader(p);
            if (leader != null)
            {
                leaders.add(leader.nodeId());
            }
        }
        return leaders;
    }

    /**
     * Starts one more node that joins the running cluster through gossip (not an initial member):
     * it creates its own group, and receives replicas and partitions as the groups' leaders move them.
     *
     * @return its index.
     */
    public int addNode()
    {
        return addNode(ctx -> { });
    }

    /**
     * Starts one more node that joins through gossip, with settings of its own on top of the
     * cluster's (for example one without the cluster secret).
     *
     * @param tweak applied after the cluster's customizer.
     * @return its index.
     */
    public int addNode(final Consumer<RookeryNode.Context> tweak)
    {
        final int index = contexts.size();
        final String seed = running().get(0).gossipAddress();
        final RookeryNode.Context ctx = newContext(index, TestPorts.next()).join(List.of(seed));
        tweak.accept(ctx);
        contexts.add(ctx);
        nodes.add(null);
        nodes.set(index, RookeryNode.start(ctx));
        return index;
    }

    /**
     * Stops a node gracefully.
     *
     * @param index node index.
     */
    public void stopNode(final int index)
    {
        final RookeryNode node = nodes.set(index, null);
        if (node != null)
        {
            node.close();
        }
    }

    /**
     * Stops a node abruptly, as a crash looks to the others.
     *
     * @param index node index.
     */
    public void killNode(final int index)
    {
        final RookeryNode node = nodes.set(index, null);
        if (node != null)
        {
            node.kill();
        }
    }

    /**
     * Starts a stopped node again on its ports and data directory.
     *
     * @param index node index.
     * @return the node.
     */
    public RookeryNode restartNode(final int index)
    {
        if (nodes.get(index) != null)
        {
            throw new IllegalStateException(nodeId(index) + " is running");
        }
        final RookeryNode.Context previous = contexts.get(index);
        final RookeryNode.Context ctx = newContext(index, previous.gossipPort())
            .initialMembers(previous.initialMembers())
            .join(previous.join())
            .raftPort(previous.raftPort())
            .aeronPort(previous.aeronPort())
            .httpPort(previous.httpPort());
        contexts.set(index, ctx);
        final RookeryNode node = RookeryNode.start(ctx);
        nodes.set(index, node);
        return node;
    }

    /**
     * @return a description of every running node's view, for failure messages.
     */
    public String dump()
    {
        final StringBuilder out = new StringBuilder("cluster state:\n");
        for (int i = 0; i < nodes.size(); i++)
        {
            final RookeryNode node = nodes.get(i);
            if (node == null)
            {
                out.append("  ").append(nodeId(i)).append(": stopped\n");
                continue;
            }
            out.append("  ").append(node.nodeId()).append(": members=")
                .append(node.membership().members().stream().map(m -> m.nodeId() + ":" + m.state()).toList())
                .append('\n');
            for (final long g : node.groups().hostedGroups())
            {
                final GroupStatus status = node.groups().status(g);
                out.append("    ").append(node.groups().label(g)).append(" role=").append(status.role())
                    .append(" leader=").append(status.leaderNodeId())
                    .append(" term=").append(status.term())
                    .append(" commit=").append(status.commitIndex())
                    .append(" applied=").append(status.appliedIndex())
                    .append(" members=").append(status.replicas().stream().map(GroupStatus.Replica::nodeId).toList())
                    .append(" ownership=").append(node.groups().ownership(g))
                    .append('\n');
            }
            out.append("    serves ").append(partitionsServedBy(node).size()).append(" partitions; unrouted: ");
            for (int p = 0; p < node.context().partitionCount(); p++)
            {
                if (node.believedLeader(p) == null)
                {
                    out.append(p).append(' ');
                }
            }
            out.append('\n');
        }
        return out.toString();
    }

    /**
     * @return where every turn loop thread of this JVM is now: a loop that no longer turns shows here.
     */
    private static String turnLoopStacks()
    {
        final StringBuilder out = new StringBuilder("turn loops:\n");
        Thread.getAllStackTraces().forEach((thread, stack) ->
        {
            if (thread.getName().startsWith("rookery-turn-loop"))
            {
                out.append("  ").append(thread.getName()).append(' ').append(thread.getState()).append('\n');
                for (int i = 0; i < Math.min(12, stack.length); i++)
                {
                    out.append("    at ").append(stack[i]).append('\n');
                }
            }
        });
        return out.toString();
    }

    /**
     * Polls a condition until it holds or the timeout passes; then fails with the cluster dump.
     *
     * @param what      description of the condition.
     * @param timeout   how long to wait.
     * @param condition the condition.
     */
    public void await(final String what, final Duration timeout, final BooleanSupplier condition)
    {
        final long deadlineNs = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                throw new AssertionError("timed out after " + timeout + " waiting for: " + what + "\n" + dump() +
                    turnLoopStacks());
            }
            try
            {
                Thread.sleep(50);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what, ex);
            }
        }
    }

    /**
     * Stops every node and removes every directory the cluster created.
     */
    public void close()
    {
        // All at once: stopped one by one, the survivors would start replacing the departed.
        final List<Thread> stopping = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++)
        {
            final RookeryNode node = nodes.get(i);
            if (node != null)
            {
                final Thread stopper = new Thread(() ->
                {
                    try
                    {
                        node.close();
                    }
                    catch (final RuntimeException ex)
                    {
                        node.kill();
                    }
                }, "test-cluster-stop-" + node.nodeId());
                stopper.start();
                stopping.add(stopper);
                nodes.set(i, null);
            }
        }
        for (final Thread stopper : stopping)
        {
            try
            {
                stopper.join(60_000);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        for (final RookeryNode.Context ctx : contexts)
        {
            if (ctx.aeronDirectoryName() != null)
            {
                deleteRecursively(Path.of(ctx.aeronDirectoryName()));
            }
        }
        deleteRecursively(root);
    }

    private RookeryNode.Context newContext(final int index, final int gossipPort)
    {
        final RookeryNode.Context ctx = new RookeryNode.Context()
            .nodeId(nodeId(index))
            .dataDir(root.resolve(nodeId(index)))
            .gossipPort(gossipPort)
            .aeronPort(TestPorts.next())
            .httpPort(TestPorts.next())
            .raftPort(TestPorts.next())
            .partitionLoops(1)
            .httpThreads(2)
            // Three nodes in one JVM on two cores share every GC pause and starve each other's
            // threads more than separate processes do: elections wait twice the production default.
            .electionTimeout(Duration.ofMillis(1000), Duration.ofMillis(2000));
        customizer.accept(ctx);
        return ctx;
    }

    /**
     * Deletes a file tree, ignoring what is already gone.
     *
     * @param path the tree.
     */
    public static void deleteRecursively(final Path path)
    {
        if (!Files.exists(path))
        {
            return;
        }
        try
        {
            Files.walkFileTree(path, new SimpleFileVisitor<>()
            {
                public FileVisitResult visitFile(final Path file, final BasicFileAttributes attrs) throws IOException
                {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                public FileVisitResult postVisitDirectory(final Path dir, final IOException exc) throws IOException
                {
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot delete " + path, ex);
        }
    }
}
