package io.rookery.gossip;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;

import io.scalecube.cluster.Cluster;
import io.scalecube.cluster.ClusterConfig;
import io.scalecube.cluster.ClusterImpl;
import io.scalecube.cluster.ClusterMessageHandler;
import io.scalecube.cluster.membership.MembershipEvent;
import io.scalecube.cluster.transport.api.MessageCodec;
import io.scalecube.transport.netty.tcp.TcpTransportFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's view of the cluster, kept by ScaleCube's SWIM gossip: who is alive, what each node
 * announces about itself ({@link NodeMetadata}), and who failed.
 * <p>
 * No ScaleCube type leaves this class. The view is keyed by node id: a node that restarts comes
 * back under a new gossip member id but the same node id, and replaces its old entry.
 */
public final class Membership implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(Membership.class);

    private final Context ctx;
    private final Map<String, Entry> byNodeId = new ConcurrentHashMap<>();
    private final List<MembershipListener> listeners = new CopyOnWriteArrayList<>();
    private final AtomicLong joins = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong departures = new AtomicLong();
    private final AtomicLong metadataErrors = new AtomicLong();
    private final Cluster cluster;
    private final AuthenticatedCodec codec;
    private volatile NodeMetadata local;
    private volatile boolean closed;

    private record Entry(String memberId, NodeMetadata metadata)
    {
    }

    private Membership(final Context ctx)
    {
        this.ctx = ctx;
        this.local = ctx.metadata();
        listeners.addAll(ctx.listeners());

        this.codec = ctx.clusterSecret() == null ? null :
            new AuthenticatedCodec(MessageCodec.INSTANCE, ctx.clusterSecret());
        final MessageCodec codec = this.codec != null ? this.codec : MessageCodec.INSTANCE;
        final ClusterConfig config = ClusterConfig.defaultLanConfig()
            .memberAlias(ctx.metadata().nodeId())
            .externalHost(ctx.host())
            .metadata(ctx.metadata())
            .metadataCodec(NodeMetadataCodec.INSTANCE)
            .metadataTimeout((int)ctx.metadataTimeout().toMillis())
            .transport(t -> t.port(ctx.port()).connectTimeout((int)ctx.connectTimeout().toMillis())
                .messageCodec(codec))
            .failureDetector(f -> f
                .pingInterval((int)ctx.pingInterval().toMillis())
                .pingTimeout((int)ctx.pingTimeout().toMillis())
                .pingReqMembers(ctx.pingReqMembers()))
            .gossip(g -> g.gossipInterval(ctx.gossipInterval().toMillis()))
            .membership(m -> m
                .seedMembers(ctx.seeds())
                .suspicionMult(ctx.suspicionMult())
                .syncInterval((int)ctx.syncInterval().toMillis())
                .syncTimeout((int)Math.min(ctx.syncInterval().toMillis(), ctx.metadataTimeout().toMillis())));
        if (ctx.port() != 0)
        {
            config.externalPort(ctx.port());
        }

        this.cluster = new ClusterImpl(config)
            .transportFactory(TcpTransportFactory::new)
            .handler(c -> new ClusterMessageHandler()
            {
                public void onMembershipEvent(final MembershipEvent event)
                {
                    Membership.this.onMembershipEvent(event);
                }
            })
            .startAwait();
        LOG.info("gossip started node={} address={} seeds={}", ctx.metadata().nodeId(), cluster.address(), ctx.seeds());
    }

    /**
     * Joins the gossip cluster through the configured seeds (or starts a new one without seeds).
     *
     * @param ctx settings; {@link Context#conclude()} is called here.
     * @return the running membership.
     */
    public static Membership start(final Context ctx)
    {
        ctx.conclude();
        return new Membership(ctx);
    }

    /** @return gossip messages dropped because they were not sealed with the cluster secret. */
    public long rejectedMessages()
    {
        return codec == null ? 0 : codec.rejected();
    }

    /**
     * @return {@code host:port} of this node's gossip endpoint; other nodes use it as a seed.
     */
    public String address()
    {
        return ctx.host() + cluster.address().substring(cluster.address().lastIndexOf(':'));
    }

    /**
     * @return this node's metadata as last announced.
     */
    public NodeMetadata local()
    {
        return local;
    }

    /**
     * @return every live node, this one included.
     */
    public Collection<NodeMetadata> members()
    {
        final List<NodeMetadata> members = new ArrayList<>(byNodeId.size() + 1);
        members.add(local);
        for (final Entry entry : byNodeId.values())
        {
            members.add(entry.metadata());
        }
        return members;
    }

    /**
     * @param nodeId a node id.
     * @return the node's metadata while it is alive in this view.
     */
    public Optional<NodeMetadata> member(final String nodeId)
    {
        if (nodeId.equals(local.nodeId()))
        {
            return Optional.of(local);
        }
        final Entry entry = byNodeId.get(nodeId);
        return entry == null ? Optional.empty() : Optional.of(entry.metadata());
    }

    /**
     * Changes what this node announces. Serialised; the change spreads by gossip.
     *
     * @param change applied to the current metadata.
     */
    public synchronized void updateLocal(final UnaryOperator<NodeMetadata> change)
    {
        final NodeMetadata updated = change.apply(local);
        if (updated.equals(local) || closed)
        {
            return;
        }
        local = updated;
        cluster.updateMetadata(updated).subscribe(
            null, ex -> LOG.warn("gossip metadata update failed node={}", updated.nodeId(), ex));
    }

    /**
     * @param listener to call on membership changes (in addition to those in the context).
     */
    public void addListener(final MembershipListener listener)
    {
        listeners.add(listener);
    }

    /** @return nodes seen joining since start. */
    public long joins()
    {
        return joins.get();
    }

    /** @return nodes declared dead by the failure detector since start. */
    public long failures()
    {
        return failures.get();
    }

    /** @return nodes that left gracefully since start. */
    public long departures()
    {
        return departures.get();
    }

    /** @return gossip metadata that could not be decoded (the member was ignored). */
    public long metadataErrors()
    {
        return metadataErrors.get();
    }

    /**
     * @return the settings this membership runs with.
     */
    public Context context()
    {
        return ctx;
    }

    /**
     * Leaves the cluster: peers hear a graceful departure rather than waiting for the failure
     * detector.
     */
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        cluster.shutdown();
        try
        {
            cluster.onShutdown().block(Duration.ofSeconds(10));
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("gossip shutdown did not complete cleanly", ex);
        }
    }

    /**
     * Falls silent without a goodbye, as a crashed node would: peers find out through their
     * failure detectors. For tests and fault injection.
     */
    public void kill()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        try
        {
            cluster.transport().stop().block(Duration.ofSeconds(5));
        }
        catch (final RuntimeException ex)
        {
            LOG.debug("gossip transport stop failed", ex);
        }
        cluster.shutdown();
    }

    private void onMembershipEvent(final MembershipEvent event)
    {
        final String memberId = event.member().id();
        try
        {
            if (event.isAdded())
            {
                final NodeMetadata metadata = decode(event.newMetadata());
                if (metadata == null)
                {
                    return;
                }
                final Entry previous = byNodeId.put(metadata.nodeId(), new Entry(memberId, metadata));
                joins.incrementAndGet();
                LOG.info("member joined node={} state={} gossip={} aeron={} raft={} http={}{}",
                    metadata.nodeId(), metadata.state(), event.member().address(), metadata.aeronEndpoint(),
                    metadata.raftEndpoint(), metadata.httpEndpoint(), previous != null ? " (restarted)" : "");
                for (final MembershipListener listener : listeners)
                {
                    listener.onJoined(metadata);
                }
            }
            else if (event.isUpdated())
            {
                final NodeMetadata metadata = decode(event.newMetadata());
                if (metadata == null)
                {
                    return;
                }
                final Entry previous = byNodeId.get(metadata.nodeId());
                if (previous == null || !previous.memberId().equals(memberId))
                {
                    return;
                }
                byNodeId.put(metadata.nodeId(), new Entry(memberId, metadata));
                if (previous.metadata().state() != metadata.state())
                {
                    LOG.info("member state node={} {} -> {}", metadata.nodeId(), previous.metadata().state(),
                        metadata.state());
                }
                for (final MembershipListener listener : listeners)
                {
                    listener.onUpdated(previous.metadata(), metadata);
                }
            }
            else if (event.isLeaving() || event.isRemoved())
            {
                final String nodeId = nodeIdOf(memberId);
                if (nodeId == null)
                {
                    return;
                }
                final Entry entry = byNodeId.get(nodeId);
                if (!byNodeId.remove(nodeId, entry))
                {
                    return;
                }
                final boolean graceful = event.isLeaving();
                (graceful ? departures : failures).incrementAndGet();
                LOG.info("member {} node={} gossip={}", graceful ? "left" : "failed", nodeId, event.member().address());
                for (final MembershipListener listener : listeners)
                {
                    listener.onLeft(entry.metadata(), graceful);
                }
            }
        }
        catch (final RuntimeException ex)
        {
            LOG.error("membership listener failed on {}", event, ex);
        }
    }

    private String nodeIdOf(final String memberId)
    {
        for (final Map.Entry<String, Entry> e : byNodeId.entrySet())
        {
            if (e.getValue().memberId().equals(memberId))
            {
                return e.getKey();
            }
        }
        return null;
    }

    private NodeMetadata decode(final ByteBuffer buffer)
    {
        try
        {
            final NodeMetadata metadata = (NodeMetadata)NodeMetadataCodec.INSTANCE.deserialize(buffer);
            if (metadata == null)
            {
                metadataErrors.incrementAndGet();
                LOG.warn("member without metadata ignored");
            }
            return metadata;
        }
        catch (final RuntimeException ex)
        {
            metadataErrors.incrementAndGet();
            LOG.warn("member with undecodable metadata ignored: {}", ex.getMessage());
            return null;
        }
    }

    /**
     * Settings of the membership. Defaults are tuned so that a killed node is declared dead in
     * about 4 s on loopback (ping every 400 ms, suspicion multiplier 3).
     */
    public static final class Context
    {
        private String host = "127.0.0.1";
        private int port = 0;
        private List<String> seeds = List.of();
        private NodeMetadata metadata;
        private Duration pingInterval = Duration.ofMillis(400);
        private Duration pingTimeout = Duration.ofMillis(200);
        private int pingReqMembers = 2;
        private int suspicionMult = 3;
        private Duration gossipInterval = Duration.ofMillis(100);
        private Duration syncInterval = Duration.ofSeconds(3);
        private Duration metadataTimeout = Duration.ofSeconds(2);
        private Duration connectTimeout = Duration.ofSeconds(2);
        private byte[] clusterSecret;
        private final List<MembershipListener> listeners = new ArrayList<>();

        /**
         * Fails fast naming the first bad setting.
         *
         * @return this.
         */
        public Context conclude()
        {
            Objects.requireNonNull(metadata, "gossip.metadata must be set");
            if (port < 0 || port > 65535)
            {
                throw new IllegalArgumentException("gossip.port out of range: " + port);
            }
            if (pingTimeout.compareTo(pingInterval) >= 0)
            {
                throw new IllegalArgumentException("gossip.pingTimeout must be shorter than gossip.pingInterval");
            }
            if (suspicionMult < 1)
            {
                throw new IllegalArgumentException("gossip.suspicionMult must be >= 1: " + suspicionMult);
            }
            return this;
        }

        /** @return address advertised to peers. */
        public String host()
        {
            return host;
        }

        /**
         * @param host address advertised to peers (default 127.0.0.1).
         * @return this.
         */
        public Context host(final String host)
        {
            this.host = host;
            return this;
        }

        /** @return TCP port of the gossip endpoint. */
        public int port()
        {
            return port;
        }

        /**
         * @param port TCP port of the gossip endpoint; 0 (default) picks a free one.
         * @return this.
         */
        public Context port(final int port)
        {
            this.port = port;
            return this;
        }

        /** @return gossip addresses to join through. */
        public List<String> seeds()
        {
            return seeds;
        }

        /**
         * @param seeds {@code host:port} gossip addresses to join through; empty starts alone.
         * @return this.
         */
        public Context seeds(final List<String> seeds)
        {
            this.seeds = List.copyOf(seeds);
            return this;
        }

        /** @return initial metadata of this node. */
        public NodeMetadata metadata()
        {
            return metadata;
        }

        /**
         * @param metadata initial metadata of this node.
         * @return this.
         */
        public Context metadata(final NodeMetadata metadata)
        {
            this.metadata = metadata;
            return this;
        }

        /** @return interval between failure-detector pings. */
        public Duration pingInterval()
        {
            return pingInterval;
        }

        /**
         * @param interval between failure-detector pings (default 400 ms).
         * @return this.
         */
        public Context pingInterval(final Duration interval)
        {
            this.pingInterval = interval;
            return this;
        }

        /** @return how long a ping may take. */
        public Duration pingTimeout()
        {
            return pingTimeout;
        }

        /**
         * @param timeout how long a ping may take (default 200 ms).
         * @return this.
         */
        public Context pingTimeout(final Duration timeout)
        {
            this.pingTimeout = timeout;
            return this;
        }

        /** @return members asked to ping indirectly. */
        public int pingReqMembers()
        {
            return pingReqMembers;
        }

        /**
         * @param members asked to ping a suspect indirectly (default 2).
         * @return this.
         */
        public Context pingReqMembers(final int members)
        {
            this.pingReqMembers = members;
            return this;
        }

        /** @return suspicion multiplier. */
        public int suspicionMult()
        {
            return suspicionMult;
        }

        /**
         * @param mult suspicion timeout = mult x ceil(log2(members)) x ping interval (default 3).
         * @return this.
         */
        public Context suspicionMult(final int mult)
        {
            this.suspicionMult = mult;
            return this;
        }

        /** @return interval between gossip rounds. */
        public Duration gossipInterval()
        {
            return gossipInterval;
        }

        /**
         * @param interval between gossip rounds (default 100 ms).
         * @return this.
         */
        public Context gossipInterval(final Duration interval)
        {
            this.gossipInterval = interval;
            return this;
        }

        /** @return interval of full membership syncs. */
        public Duration syncInterval()
        {
            return syncInterval;
        }

        /**
         * @param interval of full membership syncs with a random member or seed; this is what
         *                 re-unites the two sides of a healed network partition (default 3 s).
         * @return this.
         */
        public Context syncInterval(final Duration interval)
        {
            this.syncInterval = interval;
            return this;
        }

        /** @return how long to wait for a member's metadata. */
        public Duration metadataTimeout()
        {
            return metadataTimeout;
        }

        /**
         * @param timeout how long to wait for a member's metadata (default 2 s).
         * @return this.
         */
        public Context metadataTimeout(final Duration timeout)
        {
            this.metadataTimeout = timeout;
            return this;
        }

        /** @return the cluster secret gossip is sealed with, or null. */
        public byte[] clusterSecret()
        {
            return clusterSecret;
        }

        /**
         * @param secret the cluster secret: every gossip message is sealed with a key derived from
         *               it, and one that is not is dropped; null (default) for none.
         * @return this.
         */
        public Context clusterSecret(final byte[] secret)
        {
            this.clusterSecret = secret == null ? null : secret.clone();
            return this;
        }

        /** @return TCP connect timeout. */
        public Duration connectTimeout()
        {
            return connectTimeout;
        }

        /**
         * @param timeout TCP connect timeout (default 2 s).
         * @return this.
         */
        public Context connectTimeout(final Duration timeout)
        {
            this.connectTimeout = timeout;
            return this;
        }

        /** @return listeners registered before start. */
        public List<MembershipListener> listeners()
        {
            return listeners;
        }

        /**
         * @param listener registered before start, so it sees the very first members.
         * @return this.
         */
        public Context listener(final MembershipListener listener)
        {
            listeners.add(listener);
            return this;
        }
    }
}
