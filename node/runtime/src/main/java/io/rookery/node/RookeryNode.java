package io.rookery.node;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.rookery.api.AgentId;
import io.rookery.api.AgentType;
import io.rookery.deploy.DeploymentsAgent;
import io.rookery.api.Codecs;
import io.rookery.api.Durability;
import io.rookery.gossip.AuthenticatedCodec;
import io.rookery.gossip.GroupClaim;
import io.rookery.gossip.Membership;
import io.rookery.gossip.MembershipListener;
import io.rookery.gossip.NodeMetadata;
import io.rookery.gossip.NodeState;
import io.rookery.raft.GroupKeys;
import io.rookery.raft.GroupStats;
import io.rookery.raft.GroupStatus;
import io.rookery.raft.Hashing;
import io.rookery.raft.Ownership;
import io.rookery.raft.RaftGroups;
import io.rookery.raft.Reconfiguration;
import io.rookery.storage.NodeStore;
import io.rookery.transport.AeronTransport;
import io.rookery.transport.FrameAuthenticator;
import io.rookery.transport.IdleProfile;
import io.rookery.transport.TransportCounters;
import io.rookery.transport.codecs.RequestKind;
import org.agrona.CloseHelper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Rookery peer node. Every node is identical: it hosts agents with the local store that holds
 * their state, replicates that store through a few Raft groups that each hold many partitions,
 * learns the cluster through gossip, and sends agent messages to other nodes over Aeron.
 * <p>
 * Start order: identity, store, transport, agent runtime, Raft server, gossip, initial replicas,
 * HTTP. Stop order is the reverse. {@link #close()} leaves gracefully; {@link #kill()} stops
 * abruptly, as a crash would look to the other nodes.
 */
public final class RookeryNode implements AutoCloseable
{
    /** Exit code of a node process that stopped to be started again (a rolling restart). */
    public static final int EXIT_RESTART = 75;

    private static final Logger LOG = LoggerFactory.getLogger(RookeryNode.class);

    /**
     * JVM flag that gives the JDK's common pool two threads at least. With parallelism 1, the default
     * when a machine has two cores, {@link java.util.concurrent.CompletableFuture} runs every async stage
     * without an executor on a thread of its own; Ratis uses such stages on each append a follower
     * receives, so a loaded node would start thousands of threads a second. The flag must be on the
     * command line (the pool reads it once); {@link #start} warns when it is missing.
     */
    public static final String COMMON_POOL_FLAG = "-D" + ForkJoinPoolSettings.PROPERTY + "=" +
        ForkJoinPoolSettings.PARALLELISM;

    /** The common pool's system property and the value Rookery's launchers give it. */
    public static final class ForkJoinPoolSettings
    {
        /** The JDK's system property for the common pool's parallelism. */
        public static final String PROPERTY = "java.util.concurrent.ForkJoinPool.common.parallelism";
        /** One thread fewer than the cores, as the JDK would choose, but never under two. */
        public static final int PARALLELISM = Math.max(2, Runtime.getRuntime().availableProcessors() - 1);

        private ForkJoinPoolSettings()
        {
        }
    }

    private enum State
    {
        STARTING, RUNNING, CLOSING, CLOSED
    }

    private final Context ctx;
    private final NodeIdentity identity;
    private final NodeMetrics metrics = new NodeMetrics();
    private final ScheduledExecutorService scheduler;
    private final NodeStore store;
    private final AgentRuntime runtime;
    private final AeronTransport transport;
    private final RaftGroups groups;
    private final HttpIngress http;
    private final Membership membership;
    private final PlacementManager placement;
    private volatile State state = State.STARTING;
    private Deployer deployer;
    private final HttpClient peerClient;
    private volatile boolean restartRequested;

    private RookeryNode(final Context ctx)
    {
        this.ctx = ctx;
        final HttpClient.Builder peers = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2));
        if (ctx.tlsCa() != null)
        {
            peers.sslContext(Tls.client(ctx.tlsCa()));
        }
        this.peerClient = peers.build();
        NodeStore store = null;
        AgentRuntime runtime = null;
        AeronTransport transport = null;
        RaftGroups groups = null;
        HttpIngress http = null;
        Membership membership = null;
        ScheduledExecutorService scheduler = null;
        try
        {
            NodeIdentity identity = NodeIdentity.loadOrCreate(
                ctx.dataDir(), ctx.nodeId(), ctx.clusterId(), ctx.partitionCount());
            final String nodeId = identity.nodeId();
            scheduler = Executors.newSingleThreadScheduledExecutor(r ->
            {
                final Thread thread = new Thread(r, "rookery-scheduler-" + nodeId);
                thread.setDaemon(true);
                return thread;
            });
            store = NodeStore.open(new NodeStore.Context()
                .directory(ctx.dataDir().resolve("store"))
                .partitionCount(ctx.partitionCount()));
            final List<AgentType<?, ?>> builtIn = new ArrayList<>(ctx.agentTypes());
            builtIn.add(new DeploymentsAgent());
            final AgentRegistry registry = AgentRegistry.discover(ctx.pluginsDir(), builtIn);
            runtime = new AgentRuntime(nodeId, ctx.partitionCount(), ctx.partitionLoops(), ctx.initialMemberIds(),
                registry, store, metrics, ctx.limits(), scheduler);
            deployer = new Deployer(this, runtime, ctx.dataDir().resolve("bundles"), ctx.deploymentSyncInterval(),
                ctx.bundleRetention());
            deployer.preload();
            // Read once: the same secret keys Aeron frames and gossip.
            final byte[] clusterSecret = ctx.clusterSecret();
            transport = AeronTransport.launch(new AeronTransport.Context()
                .name(nodeId)
                .host(ctx.host())
                .port(ctx.aeronPort())
                .aeronDirectoryName(ctx.aeronDirectoryName())
                .idleProfile(ctx.idleProfile())
                .mtu(ctx.aeronMtu())
                .frameKey(frameKey(clusterSecret))
                .frameHandler(runtime.router()));
            runtime.router().transport(transport);
            final RaftGroups.Context raftContext = new RaftGroups.Context();
            if (ctx.tlsCertificate() != null && ctx.tlsCa() != null)
            {
                raftContext.tls(ctx.tlsCertificate(), ctx.tlsKey(), ctx.tlsCa());
            }
            groups = RaftGroups.start(raftContext
                .nodeId(nodeId)
                .clusterId(ctx.clusterId())
                .host(ctx.host())
                .port(ctx.raftPort())
                .storageDir(ctx.dataDir().resolve("raft"))
                .partitionCount(ctx.partitionCount())
                .replicationFactor(ctx.replicationFactor())
                .electionTimeoutMin(ctx.electionTimeoutMin())
                .electionTimeoutMax(ctx.electionTimeoutMax())
                .snapshotThreshold(ctx.snapshotThreshold())
                .purgeGap(ctx.raftPurgeGap())
                .store(store)
                .listener(runtime));
            runtime.groups(groups);
            http = new HttpIngress(this, runtime, ctx.host(), ctx.httpPort(), ctx.httpThreads());

            final NodeMetadata metadata = NodeMetadata.joining(nodeId, ctx.clusterId(), ctx.partitionCount(),
                transport.endpoint(), groups.raftAddress(), http.endpoint());
            runtime.routing().nodeUp(metadata);
            final AgentRuntime rt = runtime;
            final AeronTransport tr = transport;
            membership = Membership.start(new Membership.Context()
                .host(ctx.host())
                .port(ctx.gossipPort())
                .seeds(ctx.seeds(nodeId))
                .metadata(metadata)
                .pingInterval(ctx.gossipPingInterval())
                .pingTimeout(ctx.gossipPingInterval().dividedBy(2))
                .suspicionMult(ctx.gossipSuspicionMult())
                .clusterSecret(clusterSecret)
                .listener(new PeerTracker(ctx, rt, tr)));
            checkCompatibility(membership.members(), ctx);
            runtime.membership(membership);

            if (!identity.bootstrapped())
            {
                if (ctx.initialMembers().isEmpty())
                {
                    LOG.info("node={} joined without initial members; it creates its own group and receives " +
                        "replicas and partitions from the others", nodeId);
                }
                else
                {
                    groups.bootstrap(awaitInitialMembers(membership, ctx));
                }
                identity = identity.markBootstrapped(ctx.dataDir());
            }
            this.identity = identity;
            this.scheduler = scheduler;
            this.store = store;
            this.runtime = runtime;
            this.transport = transport;
            this.groups = groups;
            this.http = http;
            this.membership = membership;
            this.placement = new PlacementManager(new PlacementManager.Settings(ctx.replacementGrace(),
                ctx.placementInterval(), ctx.maxConcurrentMoves(), ctx.balanceLeaders(), ctx.stalledFollowerTimeout(),
                ctx.balancePartitions(), ctx.partitionSettle()), runtime, groups, membership);
            membership.addListener(placement);
            registerMetrics();
            http.start();
            membership.updateLocal(m -> m.withState(NodeState.ACTIVE));
            placement.start();
            deployer.start();
            state = State.RUNNING;
            LOG.info("node started node={} cluster={} partitions={} gossip={} raft={} aeron={} http={}", nodeId,
                ctx.clusterId(), ctx.partitionCount(), membership.address(), groups.raftAddress(),
                transport.endpoint(), http.endpoint());
        }
        catch (final Exception ex)
        {
            LOG.error("node failed to start", ex);
            CloseHelper.quietCloseAll(deployer, http, membership, runtime, groups, transport, store);
            if (scheduler != null)
            {
                scheduler.shutdownNow();
            }
            throw ex instanceof RuntimeException rex ? rex : new IllegalStateException("node failed to start", ex);
        }
    }

    /**
     * @return per agent type, the sum over the groups this node runs of what {@code counts} gives;
     * every registered type is present, with 0 when it has none, so a gauge does not vanish.
     */
    private Map<String, Integer> sumByType(
        final java.util.function.Function<GroupRuntime, Map<String, Integer>> counts)
    {
        final Map<String, Integer> sums = new java.util.TreeMap<>();
        runtime.registry().names().forEach(name -> sums.put(name, 0));
        runtime.groupRuntimes().forEach((g, r) ->
            counts.apply(r).forEach((type, n) -> sums.merge(type, n, Integer::sum)));
        return sums;
    }

    /** @return HTTP requests this node received and has not answered yet. */
    int httpInFlight()
    {
        return http.inFlight();
    }

    /**
     * @return the key Aeron datagrams are authenticated with: its own derivation of the cluster
     * secret, so that it is not the gossip key; null without a secret.
     */
    private static byte[] frameKey(final byte[] clusterSecret)
    {
        return null == clusterSecret ? null : Arrays.copyOf(
            AuthenticatedCodec.derive(clusterSecret, "rookery aeron frames v1"), FrameAuthenticator.KEY_LENGTH);
    }

    /**
     * Starts a node and returns once it serves HTTP and has created its initial replicas.
     *
     * @param ctx settings; {@link Context#conclude()} is called here.
     * @return the running node.
     */
    public static RookeryNode start(final Context ctx)
    {
        if (ForkJoinPool.getCommonPoolParallelism() < 2)
        {
            LOG.warn("event=common_pool_too_small parallelism={} effect=\"a new thread per Raft append\" " +
                "fix=\"start the JVM with {}\"", ForkJoinPool.getCommonPoolParallelism(), COMMON_POOL_FLAG);
        }
        ctx.conclude();
        return new RookeryNode(ctx);
    }

    /**
     * @param endpoint a peer's HTTP endpoint.
     * @param path     the path and query to ask for.
     * @return a request to it, carrying this node's token when the cluster's HTTP APIs ask for one.
     */
    HttpRequest.Builder peerRequest(final String endpoint, final String path)
    {
        final HttpRequest.Builder request = HttpRequest.newBuilder(
            URI.create((ctx.tlsCertificate() != null ? "https://" : "http://") + endpoint + path));
        final String token = http.peerToken();
        if (token != null)
        {
            request.header("Authorization", "Bearer " + token);
        }
        return request;
    }

    /** @return the HTTP client this node asks its peers with (trusting the cluster's CA under TLS). */
    HttpClient peerClient()
    {
        return peerClient;
    }

    /** @return whether the node is stopping or stopped. */
    boolean isStopping()
    {
        return state == State.CLOSING || state == State.CLOSED;
    }

    /** @return what keeps this node's agent code in step with the cluster's deployments. */
    Deployer deployer()
    {
        return deployer;
    }

    /**
     * Deploys a bundle through this node, as {@code POST /admin/bundles} does.
     *
     * @param jar      the bundle.
     * @param activate whether to activate it.
     * @return what the cluster's record says of it.
     * @throws io.rookery.deploy.BundleRefusedException when it is refused.
     */
    public Map<String, Object> deploy(final byte[] jar, final boolean activate)
    {
        return deployer.deploy(jar, null, activate);
    }

    /**
     * @param name a bundle name, or null for all.
     * @return the cluster's deployments and each live node's state, as {@code GET /admin/deployments}.
     */
    public Map<String, Object> deployments(final String name)
    {
        return deployer.clusterStatus(name);
    }

    /** @return this node's id. */
    public String nodeId()
    {
        return identity.nodeId();
    }

    /** @return the settings. */
    public Context context()
    {
        return ctx;
    }

    /** @return {@code host:port} of this node's HTTP ingress. */
    public String httpEndpoint()
    {
        return http.endpoint();
    }

    /** @return {@code host:port} of this node's gossip endpoint (a seed for others). */
    public String gossipAddress()
    {
        return membership.address();
    }

    /** @return counters of this node's Aeron transport. */
    public TransportCounters transportCounters()
    {
        return transport.counters();
    }

    /** @return the node's metrics. */
    public NodeMetrics metrics()
    {
        return metrics;
    }

    /** @return the Raft groups of this node (status, for tests and tools). */
    public RaftGroups groups()
    {
        return groups;
    }

    /** @return the gossip membership of this node. */
    public Membership membership()
    {
        return membership;
    }

    /**
     * @return the key of this node's own group (the one it is home of).
     */
    public long ownGroup()
    {
        return GroupKeys.of(nodeId());
    }

    /**
     * @param partition a partition.
     * @return the term in which this node serves the partition (as the leader of its group), or -1.
     */
    public long servingTerm(final int partition)
    {
        return runtime.servingTerm(partition);
    }

    /**
     * @param partition a partition.
     * @return the key of the group in which this node serves the partition, or 0 when it does not.
     */
    public long servingGroup(final int partition)
    {
        return runtime.servingGroup(partition);
    }

    /**
     * @param partition a partition.
     * @return the node this node believes serves the partition, or null.
     */
    public String believedLeader(final int partition)
    {
        return runtime.routing().leader(partition).nodeId();
    }

    /**
     * @param partition a partition.
     * @return the group this node believes owns the partition, or empty.
     */
    public Optional<Long> believedOwner(final int partition)
    {
        final RoutingTable.Owner owner = runtime.routing().owner(partition);
        return owner == null ? Optional.empty() : Optional.of(owner.group());
    }

    /** @return how many partitions this node serves now, over every group it leads. */
    public int servedPartitions()
    {
        return runtime.servedPartitions();
    }

    /**
     * @param id an agent.
     * @return its partition.
     */
    public int partitionOf(final AgentId id)
    {
        return Partitioner.partition(id, ctx.partitionCount());
    }

    /**
     * Delivers a message to an agent wherever its partition is served and waits for the reply.
     *
     * @param id      the agent.
     * @param payload the message, encoded for the type's message codec.
     * @return the response.
     */
    public CompletableFuture<Response> ask(final AgentId id, final byte[] payload)
    {
        return runtime.router().request(id, payload, RequestKind.ASK, null, ctx.limits().requestTimeout());
    }

    /**
     * Delivers a message with an idempotency key: a retry with the same key returns the first reply
     * and applies the message once.
     *
     * @param id             the agent.
     * @param payload        the message, encoded for the type's message codec.
     * @param idempotencyKey the key, 1 to 256 characters.
     * @return the response.
     */
    public CompletableFuture<Response> askIdempotent(
        final AgentId id, final byte[] payload, final String idempotencyKey)
    {
        return runtime.router().request(id, payload, RequestKind.ASK, null, ctx.limits().requestTimeout(),
            idempotencyKey);
    }

    /**
     * Sends a message to an ephemeral agent and forgets it: at most once, no reply, no
     * confirmation. When this node serves the agent's partition the message goes straight into the
     * turn loop; otherwise it is one Aeron frame to the node that does. A message that cannot be
     * handed over (no known leader, outbound ring full) is counted in
     * {@code rookery_ephemeral_dropped_total} and this returns false.
     *
     * @param id      an agent whose type is {@link io.rookery.api.Durability#EPHEMERAL}.
     * @param payload the message, encoded for the type's message codec.
     * @return whether the message was handed to a turn loop or to the transport.
     * @throws IllegalArgumentException when the type is unknown or durable (durable agents take
     *                                  {@link #ask(AgentId, byte[])}, whose outcome is known).
     */
    public boolean tellEphemeral(final AgentId id, final byte[] payload)
    {
        final AgentType<?, ?> type = runtime.registry().find(id.type());
        if (type == null || type.durability() != Durability.EPHEMERAL)
        {
            throw new IllegalArgumentException(type == null ? "unknown agent type '" + id.type() + "'" :
                "agent type '" + id.type() + "' is durable; use ask");
        }
        return runtime.router().tellEphemeral(id, payload, null);
    }

    /**
     * Reads an agent's committed state, linearizably.
     *
     * @param id the agent.
     * @return a response whose payload is the state as JSON.
     */
    public CompletableFuture<Response> read(final AgentId id)
    {
        return runtime.router().request(id, new byte[0], RequestKind.READ, null, ctx.limits().requestTimeout());
    }

    /**
     * Reads an agent's state from this node's own store, whatever its role: what this node's replica
     * of the group owning the partition has applied, not a linearizable read. For diagnostics and tests.
     *
     * @param id the agent.
     * @return the encoded state, or empty when this node holds none.
     */
    public Optional<byte[]> localState(final AgentId id)
    {
        return localStoredState(id).map(StoredState::state);
    }

    /** As {@link #localState(AgentId)}, as stored: with the version of the code that wrote it. */
    Optional<byte[]> localStoredState(final AgentId id)
    {
        final int partition = partitionOf(id);
        long bestEpoch = -1;
        byte[] best = null;
        for (final long g : groups.hostedGroups())
        {
            final Ownership ownership = groups.ownership(g, partition);
            if (ownership != null && ownership.state() != Ownership.State.RELEASED && ownership.epoch() > bestEpoch)
            {
                bestEpoch = ownership.epoch();
                best = store.get(g, partition, KeySpaces.stateKey(id));
            }
        }
        return Optional.ofNullable(best);
    }

    /**
     * @param partition a partition.
     * @return what this node knows of it: routing, the local group owning it, each local replica's
     * state and, where this node serves it, its outboxes and inboxes (served on
     * {@code GET /admin/partitions/{p}}).
     */
    public Map<String, Object> describePartition(final int partition)
    {
        return runtime.describePartition(partition);
    }

    /**
     * Moves a partition to another group now, whatever the spread wants (placement may move it back
     * later unless balancing is off). Only the node serving the partition can start the move.
     *
     * @param partition   the partition.
     * @param targetGroup the group to hand it to.
     * @return completes with null when the move started, else with the reason it did not.
     */
    public CompletableFuture<String> movePartition(final int partition, final long targetGroup)
    {
        // A sealed partition waits for its target: refuse a target that is not known to be alive
        // and led, or the partition would be out of service until such a group appears.
        final String home = runtime.homeNodeOf(targetGroup);
        final NodeMetadata member = home == null ? null : runtime.routing().node(home);
        if (member == null || (member.state() != NodeState.ACTIVE && member.state() != NodeState.JOINING))
        {
            return CompletableFuture.completedFuture("no live member is the home of group " +
                runtime.groupLabel(targetGroup) + "; a partition only moves to the group of a serving member");
        }
        if (runtime.routing().groupLeader(targetGroup).nodeId() == null)
        {
            return CompletableFuture.completedFuture("group " + runtime.groupLabel(targetGroup) +
                " has no known leader yet; try again once it has");
        }
        return runtime.requestMove(partition, targetGroup);
    }

    /**
     * @return the cluster as this node sees it, with every group's and partition's status taken from
     * its leader (asked over HTTP when this node does not lead it), as served on {@code /cluster}.
     */
    public Map<String, Object> clusterView()
    {
        return clusterView(true);
    }

    /**
     * @param askOthers whether to ask other members for the groups this node does not lead.
     * @return the cluster view.
     */
    @SuppressWarnings("unchecked")
    Map<String, Object> clusterView(final boolean askOthers)
    {
        final Map<String, Object> view = localClusterView();
        if (!askOthers)
        {
            return view;
        }
        final Map<String, Map<String, Object>> byGroup = (Map<String, Map<String, Object>>)view.remove("groupsByKey");
        final boolean complete = byGroup.values().stream().allMatch(g -> "LEADER".equals(g.get("role"))) &&
            knownGroups().size() == byGroup.size();
        if (!complete)
        {
            final HttpClient client = peerClient;
            final List<CompletableFuture<Map<String, Object>>> remote = new ArrayList<>();
            for (final NodeMetadata m : membership.members())
            {
                if (m.nodeId().equals(nodeId()))
                {
                    continue;
                }
                final HttpRequest request = peerRequest(m.httpEndpoint(), "/cluster?scope=local")
                    .timeout(Duration.ofSeconds(2)).GET().build();
                remote.add(client.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
                    .thenApply(r -> r.statusCode() == 200 ?
                        (Map<String, Object>)Codecs.parseJsonAs(r.body(), Map.class) : Map.<String, Object>of())
                    .exceptionally(ex -> Map.of()));
            }
            for (final CompletableFuture<Map<String, Object>> future : remote)
            {
                final Map<String, Object> other = future.join();
                final List<Map<String, Object>> theirs = (List<Map<String, Object>>)other.get("groups");
                if (theirs == null)
                {
                    continue;
                }
                for (final Map<String, Object> candidate : theirs)
                {
                    final String key = (String)candidate.get("key");
                    final Map<String, Object> mine = byGroup.get(key);
                    final boolean theyLead = "LEADER".equals(candidate.get("role"));
                    if (mine == null || (!"LEADER".equals(mine.get("role")) && theyLead))
                    {
                        final Map<String, Object> merged = new LinkedHashMap<>(candidate);
                        merged.put("reportedBy", other.get("node"));
                        merged.put("hostedHere", mine != null && Boolean.TRUE.equals(mine.get("hostedHere")));
                        byGroup.put(key, merged);
                    }
                }
            }
        }
        view.put("groups", new ArrayList<>(byGroup.values()));
        return view;
    }

    private java.util.Set<Long> knownGroups()
    {
        final java.util.Set<Long> known = new java.util.TreeSet<>(groups.hostedGroups());
        for (final NodeMetadata m : membership.members())
        {
            for (final GroupClaim claim : m.leads())
            {
                known.add(claim.group());
            }
            for (final long g : m.hostedGroups())
            {
                known.add(g);
            }
        }
        return known;
    }

    private Map<String, Object> localClusterView()
    {
        final Map<String, Object> view = new LinkedHashMap<>();
        view.put("node", nodeId());
        view.put("clusterId", ctx.clusterId());
        view.put("partitionCount", ctx.partitionCount());
        view.put("replicationFactor", ctx.replicationFactor());
        final List<Map<String, Object>> members = new ArrayList<>();
        for (final NodeMetadata m : membership.members())
        {
            final Map<String, Object> member = new LinkedHashMap<>();
            member.put("nodeId", m.nodeId());
            member.put("state", m.state().name());
            member.put("http", m.httpEndpoint());
            member.put("aeron", m.aeronEndpoint());
            member.put("raft", m.raftEndpoint());
            member.put("leads", m.ledPartitions());
            member.put("leadsGroups", m.leads().stream().map(c -> c.name().isEmpty() ?
                GroupKeys.hex(c.group()) : "g-" + c.name()).toList());
            member.put("hostsGroups", m.hostedGroups().length);
            member.put("movesInProgress", m.movesInProgress());
            members.add(member);
        }
        members.sort((a, b) -> ((String)a.get("nodeId")).compareTo((String)b.get("nodeId")));
        view.put("members", members);

        final Map<String, Map<String, Object>> byGroup = new TreeMap<>();
        for (final long g : knownGroups())
        {
            byGroup.put(GroupKeys.hex(g), groupView(g));
        }
        view.put("groupsByKey", byGroup);
        view.put("groups", new ArrayList<>(byGroup.values()));

        final List<Map<String, Object>> partitions = new ArrayList<>();
        final List<Map<String, Object>> moves = new ArrayList<>();
        for (int p = 0; p < ctx.partitionCount(); p++)
        {
            final RoutingTable.Owner owner = runtime.routing().owner(p);
            final RoutingTable.Leader leader = runtime.routing().leader(p);
            final Map<String, Object> partition = new LinkedHashMap<>();
            partition.put("partition", p);
            partition.put("group", owner == null ? null : runtime.groupLabel(owner.group()));
            partition.put("epoch", owner == null ? -1 : owner.epoch());
            partition.put("leader", leader.nodeId());
            partition.put("term", owner == null ? -1 : runtime.routing().groupLeader(owner.group()).term());
            partition.put("servedHere", runtime.servingTerm(p) >= 0);
            partitions.add(partition);
        }
        for (final long g : groups.hostedGroups())
        {
            if (groups.readyLeaderTerm(g) < 0)
            {
                continue;
            }
            for (final Map.Entry<Integer, Ownership> entry : groups.ownership(g).entrySet())
            {
                if (entry.getValue().state() == Ownership.State.SEALED)
                {
                    final Map<String, Object> move = new LinkedHashMap<>();
                    move.put("partition", entry.getKey());
                    move.put("from", groups.label(g));
                    move.put("to", runtime.groupLabel(entry.getValue().peerGroup()));
                    move.put("epoch", entry.getValue().epoch());
                    moves.add(move);
                }
            }
        }
        view.put("partitions", partitions);
        view.put("moves", moves);
        return view;
    }

    private Map<String, Object> groupView(final long g)
    {
        final Map<String, Object> group = new LinkedHashMap<>();
        group.put("key", GroupKeys.hex(g));
        group.put("name", runtime.groupLabel(g));
        final GroupStatus status = groups.status(g);
        final RoutingTable.Leader believed = runtime.routing().groupLeader(g);
        group.put("leader", status.hosted() && status.leaderNodeId() != null ? status.leaderNodeId() :
            believed.nodeId());
        group.put("term", status.hosted() ? status.term() : believed.term());
        group.put("hostedHere", status.hosted());
        group.put("role", status.role());
        group.put("commitIndex", status.commitIndex());
        group.put("appliedIndex", status.appliedIndex());
        group.put("retired", groups.retired(g));
        final RaftGroups.FollowerSilence follower = groups.followerSilence(g);
        if (follower != null)
        {
            // A follower's last contact with a leader: far above the election timeout is a stalled replica.
            group.put("leaderSilenceMs", follower.silence().toMillis());
            group.put("appendsInProgress", follower.outstandingAppends());
        }
        final List<Map<String, Object>> replicas = new ArrayList<>();
        for (final GroupStatus.Replica replica : status.replicas())
        {
            final Map<String, Object> r = new LinkedHashMap<>();
            r.put("nodeId", replica.nodeId());
            r.put("address", replica.address());
            r.put("matchIndex", replica.matchIndex());
            r.put("lag", replica.lag());
            r.put("lastContactMs", replica.lastContactMs());
            replicas.add(r);
        }
        group.put("replicas", replicas);
        final List<Integer> owned = new ArrayList<>();
        int sealed = 0;
        int adopting = 0;
        for (final Map.Entry<Integer, Ownership> entry : groups.ownership(g).entrySet())
        {
            switch (entry.getValue().state())
            {
                case OWNED -> owned.add(entry.getKey());
                case SEALED -> sealed++;
                case ADOPTING -> adopting++;
                default ->
                {
                }
            }
        }
        if (!status.hosted())
        {
            for (final NodeMetadata m : membership.members())
            {
                final GroupClaim claim = m.claimOf(g);
                if (claim != null)
                {
                    for (final int p : claim.partitions())
                    {
                        owned.add(p);
                    }
                }
            }
        }
        group.put("partitionCount", owned.size());
        group.put("partitions", owned);
        group.put("handingOver", sealed);
        group.put("adopting", adopting);
        return group;
    }

    /**
     * @return readiness: running, and every partition and every hosted group has a known leader.
     */
    public Map<String, Object> readiness()
    {
        final Map<String, Object> readiness = new LinkedHashMap<>();
        final List<Integer> leaderless = new ArrayList<>();
        for (int p = 0; p < ctx.partitionCount(); p++)
        {
            if (runtime.routing().leader(p).nodeId() == null)
            {
                leaderless.add(p);
            }
        }
        final List<String> groupsWithoutLeader = new ArrayList<>();
        for (final long g : groups.hostedGroups())
        {
            if (groups.leaderOf(g) == null)
            {
                groupsWithoutLeader.add(groups.label(g));
            }
        }
        final boolean running = state == State.RUNNING;
        readiness.put("ready", running && leaderless.isEmpty() && groupsWithoutLeader.isEmpty());
        readiness.put("node", nodeId());
        readiness.put("state", state.name());
        readiness.put("members", membership.members().size());
        readiness.put("hostedGroups", groups.hostedGroups().size());
        readiness.put("servedPartitions", runtime.servedPartitions());
        readiness.put("groupsWithoutLeader", groupsWithoutLeader);
        readiness.put("partitionsWithoutLeader", leaderless.size() > 32 ?
            leaderless.subList(0, 32) + " and " + (leaderless.size() - 32) + " more" : leaderless);
        return readiness;
    }

    /**
     * Starts draining: the node announces DRAINING, hands every leadership to other members, and
     * the leaders of its groups move its replicas to other nodes where there are any to take them.
     * Requests keep being served throughout. Idempotent.
     */
    public void drain()
    {
        drain(true);
    }

    /**
     * Starts draining unless the node's departure would cost a group its majority: a group whose
     * other live replicas are too few for a quorum, with no node to move this replica to. Such a
     * drain could never finish without taking the group down, so it is refused unless forced.
     *
     * @param force drain even so.
     * @return null when draining, else why the drain was refused.
     */
    @SuppressWarnings("unchecked")
    public String drain(final boolean force)
    {
        if (!force && membership.local().state() != NodeState.DRAINING)
        {
            final List<String> losing = (List<String>)drainStatus().get("wouldLoseMajority");
            if (!losing.isEmpty())
            {
                return "draining " + nodeId() + " would leave groups " + losing + " without a majority of live " +
                    "replicas, and no other node can take its replicas; bring the missing members back first, or " +
                    "force the drain";
            }
        }
        startDrain();
        return null;
    }

    private void startDrain()
    {
        if (membership.local().state() != NodeState.DRAINING)
        {
            LOG.info("drain started node={} hosted={} served={}", nodeId(), groups.hostedGroups().size(),
                runtime.servedPartitions());
            membership.updateLocal(m -> m.withState(NodeState.DRAINING));
        }
    }

    /**
     * @return progress of a drain: state, replicas still hosted, leaderships still held, and whether
     * the node may now be stopped: it leads nothing, and each group it still holds a replica of keeps
     * a majority of its members without it (those groups run under-replicated until it returns).
     */
    public Map<String, Object> drainStatus()
    {
        final Map<String, Object> status = new LinkedHashMap<>();
        final int hosted = groups.hostedGroups().size();
        int led = 0;
        final List<String> underReplicated = new ArrayList<>();
        final List<String> wouldLoseMajority = new ArrayList<>();
        final List<String> replicasStillMoving = new ArrayList<>();
        final java.util.Set<String> live = new java.util.HashSet<>();
        final java.util.Set<String> eligible = new java.util.HashSet<>();
        for (final NodeMetadata m : membership.members())
        {
            if (m.state() != NodeState.LEAVING)
            {
                live.add(m.nodeId());
            }
            if (m.state() == NodeState.ACTIVE || m.state() == NodeState.JOINING)
            {
                eligible.add(m.nodeId());
            }
        }
        for (final long g : groups.hostedGroups())
        {
            if (groups.leaderOf(g) != null && groups.leaderOf(g).equals(nodeId()))
            {
                led++;
            }
            final Reconfiguration.Configuration conf = groups.reconfiguration().configuration(g).orElse(null);
            if (conf == null)
            {
                continue;
            }
            int othersUp = 0;
            for (final String member : conf.peers().keySet())
            {
                othersUp += !member.equals(nodeId()) && live.contains(member) ? 1 : 0;
            }
            if (eligible.stream().anyMatch(id -> !conf.peers().containsKey(id)))
            {
                // Another node can take this replica: the group's leader moves it there.
                replicasStillMoving.add(groups.label(g));
            }
            else if (othersUp < conf.peers().size() / 2 + 1)
            {
                wouldLoseMajority.add(groups.label(g));
            }
            else
            {
                underReplicated.add(groups.label(g));
            }
        }
        final boolean draining = membership.local().state() == NodeState.DRAINING;
        status.put("node", nodeId());
        status.put("state", membership.local().state().name());
        status.put("hostedGroups", hosted);
        status.put("ledGroups", led);
        status.put("servedPartitions", runtime.servedPartitions());
        status.put("underReplicatedWhenStopped", underReplicated);
        status.put("wouldLoseMajority", wouldLoseMajority);
        status.put("replicasMoving", replicasStillMoving);
        status.put("drained", draining && led == 0 && runtime.servedPartitions() == 0 && wouldLoseMajority.isEmpty() &&
            replicasStillMoving.isEmpty());
        return status;
    }

    /**
     * Closes the node on another thread, then runs the context's stop callback (the process
     * exits when run from the command line).
     */
    public void requestShutdown()
    {
        requestShutdown(false);
    }

    /**
     * Closes the node on another thread and runs the context's stop callback; with {@code restart}
     * the node asks to be started again by whatever supervises it (the command line then exits
     * with {@link #EXIT_RESTART}, which `rookery local`, the systemd unit and Kubernetes restart).
     *
     * @param restart whether the node is stopping to be started again.
     */
    public void requestShutdown(final boolean restart)
    {
        restartRequested = restartRequested || restart;
        final Thread stopper = new Thread(() ->
        {
            close();
            ctx.onStopped().run();
        }, "rookery-stop-" + nodeId());
        stopper.setDaemon(false);
        stopper.start();
    }

    /** @return whether the node was stopped to be started again ({@link #requestShutdown(boolean)}). */
    public boolean restartRequested()
    {
        return restartRequested;
    }

    /** @return replica set changes this node committed as a group leader. */
    public long reconfigurations()
    {
        return placement.reconfigurations();
    }

    /**
     * @return replicas this node restarted because their election timer had stopped.
     */
    public long stalledReplicaRestarts()
    {
        return placement.stalledReplicaRestarts();
    }

    /**
     * Leaves gracefully: stops taking requests, tells gossip it is leaving, stops its loops,
     * its Raft server, its transport and its store.
     */
    public void close()
    {
        if (state == State.CLOSING || state == State.CLOSED)
        {
            return;
        }
        state = State.CLOSING;
        LOG.info("node stopping node={}", nodeId());
        membership.updateLocal(m -> m.withState(NodeState.LEAVING));
        CloseHelper.closeAll(deployer, placement, http, membership, runtime, groups, transport);
        scheduler.shutdownNow();
        store.close();
        state = State.CLOSED;
        LOG.info("node stopped node={}", nodeId());
    }

    /**
     * Stops abruptly, as a crash looks to the rest of the cluster: no goodbye on gossip, no
     * leadership hand-off. The data directory is left as a crash would leave it.
     */
    public void kill()
    {
        if (state == State.CLOSING || state == State.CLOSED)
        {
            return;
        }
        state = State.CLOSING;
        LOG.info("node killed node={}", nodeId());
        CloseHelper.quietCloseAll(deployer, placement, http::kill, membership::kill, runtime, groups, transport);
        scheduler.shutdownNow();
        store.close();
        state = State.CLOSED;
    }

    private void registerMetrics()
    {
        final TransportCounters tc = transport.counters();
        metrics.counter("rookery_transport_frames_sent_total", "Frames published over Aeron", tc::framesSent);
        metrics.counter("rookery_transport_frames_received_total", "Valid frames received over Aeron",
            tc::framesReceived);
        metrics.counter("rookery_transport_bytes_sent_total", "Bytes published over Aeron", tc::bytesSent);
        metrics.counter("rookery_transport_bytes_received_total", "Bytes received over Aeron", tc::bytesReceived);
        metrics.counter("rookery_transport_back_pressure_total", "Offers refused with back-pressure",
            tc::backPressured);
        metrics.counter("rookery_transport_not_connected_total", "Offers to peers not yet connected",
            tc::notConnected);
        metrics.counter("rookery_transport_dropped_total", "Frames dropped: peer queue full or peer gone",
            tc::pendingDropped);
        metrics.counter("rookery_transport_outbound_full_total", "Sends refused: outbound ring full",
            tc::outboundFull);
        metrics.counter("rookery_transport_malformed_total", "Malformed frames dropped", tc::malformedTotal);
        metrics.counter("rookery_transport_rejected_total",
            "Aeron datagrams dropped because they did not carry this cluster's MAC", tc::rejected);
        metrics.counter("rookery_transport_batches_sent_total",
            "Aeron messages that carried several small frames to one peer", tc::batchesSent);
        metrics.counter("rookery_transport_errors_total", "Errors reported by Aeron or the transport conductor",
            tc::errors);
        metrics.counter("rookery_transport_reconnects_total",
            "Aeron clients replaced after closing under the transport (a pause beyond the driver timeout)",
            tc::reconnects);
        metrics.gauge("rookery_gossip_members", "Live members in this node's view", () -> membership.members().size());
        metrics.counter("rookery_gossip_failures_total", "Members declared dead", membership::failures);
        metrics.gauge("rookery_http_in_flight", "HTTP requests received and not answered yet (at most " +
            HttpIngress.MAX_IN_FLIGHT + "; beyond, 503)", http::inFlight);
        metrics.counter("rookery_gossip_rejected_total",
            "Gossip messages dropped because they were not sealed with this cluster's secret",
            membership::rejectedMessages);
        metrics.gauge("rookery_groups_hosted", "Raft group replicas on this node",
            () -> groups.hostedGroups().size());
        metrics.gauge("rookery_groups_led", "Raft groups this node leads and serves",
            () -> runtime.claims().size());
        metrics.gauge("rookery_partitions_led", "Partitions this node serves, over the groups it leads",
            runtime::servedPartitions);
        metrics.gauge("rookery_moves_in_progress", "Replica and partition moves this node drives now",
            () -> placement.movesInProgress());
        metrics.gauge("rookery_store_size_bytes", "Approximate size of the node's RocksDB",
            store::approximateSizeBytes);
        metrics.counter("rookery_gossip_departures_total", "Members that left gracefully", membership::departures);
        metrics.counter("rookery_gossip_metadata_errors_total", "Members ignored for undecodable metadata",
            membership::metadataErrors);
        metrics.counters("rookery_transport_peer_frames_sent_total", "Frames published to each peer", "peer",
            out -> transport.peerStats().forEach((key, stats) -> out.accept(peerName(key), stats.framesSent())));
        metrics.counters("rookery_transport_peer_back_pressure_total",
            "Offers to each peer refused with back-pressure", "peer",
            out -> transport.peerStats().forEach((key, stats) -> out.accept(peerName(key), stats.backPressured())));
        metrics.counters("rookery_transport_peer_dropped_total", "Frames for each peer dropped", "peer",
            out -> transport.peerStats().forEach((key, stats) -> out.accept(peerName(key), stats.dropped())));
        metrics.gauges("rookery_group_partitions", "Partitions each group led here serves", "group",
            out -> runtime.groupRuntimes().forEach((g, r) ->
            {
                if (r.claim() != null)
                {
                    out.accept(groups.label(g), r.servingCount());
                }
            }));
        metrics.gauges("rookery_group_active_agents", "Agents in memory, per group led here", "group",
            out -> runtime.groupRuntimes().forEach((g, r) ->
            {
                if (r.claim() != null)
                {
                    out.accept(groups.label(g), r.activeAgents());
                }
            }));
        metrics.gauges("rookery_agents_active", "Agents in memory on this node, by type: a scaling signal", "type",
            out -> sumByType(GroupRuntime::activeByType).forEach(out::accept));
        metrics.gauges("rookery_agents_waiting_messages",
            "Messages on this node waiting for their agents' turns, by type: a scaling signal", "type",
            out -> sumByType(GroupRuntime::waitingByType).forEach(out::accept));
        metrics.counters("rookery_snapshots_taken_total", "Snapshots written, per hosted group", "group",
            out -> forEachHosted((g, stats) -> out.accept(groups.label(g), stats.snapshotsTaken())));
        metrics.counters("rookery_snapshots_installed_total",
            "Snapshots received from a leader and installed, per hosted group", "group",
            out -> forEachHosted((g, stats) -> out.accept(groups.label(g), stats.snapshotsInstalled())));
        metrics.counters("rookery_dropped_writes_total",
            "Writes dropped at apply for a partition the group did not own (non-zero is a bug)", "group",
            out -> forEachHosted((g, stats) -> out.accept(groups.label(g), stats.droppedWrites())));
        metrics.gauges("rookery_snapshot_last_bytes", "Size of the last snapshot written, per hosted group",
            "group", out -> forEachHosted((g, stats) -> out.accept(groups.label(g), stats.lastSnapshotBytes())));
        metrics.gauges("rookery_snapshot_last_seconds", "Time the last snapshot took, per hosted group",
            "group", out -> forEachHosted((g, stats) -> out.accept(groups.label(g), stats.lastSnapshotNanos() / 1e9)));
    }

    private String peerName(final long nodeKey)
    {
        final String id = runtime.routing().nodeIdOf(nodeKey);
        return id == null ? Long.toHexString(nodeKey) : id;
    }

    private void forEachHosted(final java.util.function.BiConsumer<Long, GroupStats> visit)
    {
        for (final long g : groups.hostedGroups())
        {
            final GroupStats stats = groups.stats(g);
            if (stats != null)
            {
                visit.accept(g, stats);
            }
        }
    }

    private static void checkCompatibility(final Collection<NodeMetadata> members, final Context ctx)
    {
        for (final NodeMetadata m : members)
        {
            if (!m.clusterId().equals(ctx.clusterId()) || m.partitionCount() != ctx.partitionCount())
            {
                throw new IllegalStateException("refusing to join: member " + m.nodeId() + " belongs to cluster '" +
                    m.clusterId() + "' with " + m.partitionCount() + " partitions, this node is configured for '" +
                    ctx.clusterId() + "' with " + ctx.partitionCount());
            }
        }
    }

    private static Map<String, String> awaitInitialMembers(final Membership membership, final Context ctx)
        throws InterruptedException
    {
        final List<String> wanted = ctx.initialMemberIds();
        final long deadlineNs = System.nanoTime() + ctx.bootstrapTimeout().toNanos();
        long nextLogNs = 0;
        while (true)
        {
            final Map<String, String> found = new LinkedHashMap<>();
            for (final String id : wanted)
            {
                membership.member(id).ifPresent(m -> found.put(id, m.raftEndpoint()));
            }
            if (found.size() == wanted.size())
            {
                return found;
            }
            final long now = System.nanoTime();
            if (now - deadlineNs > 0)
            {
                throw new IllegalStateException("initial members " + wanted + " not all seen within " +
                    ctx.bootstrapTimeout() + "; seen " + found.keySet());
            }
            if (now - nextLogNs > 0)
            {
                LOG.info("waiting for initial members: seen {} of {}", found.keySet(), wanted);
                nextLogNs = now + TimeUnit.SECONDS.toNanos(5);
            }
            Thread.sleep(50);
        }
    }

    /**
     * Keeps the routing table and the transport's peers in step with gossip.
     */
    private static final class PeerTracker implements MembershipListener
    {
        private final Context ctx;
        private final AgentRuntime runtime;
        private final AeronTransport transport;

        PeerTracker(final Context ctx, final AgentRuntime runtime, final AeronTransport transport)
        {
            this.ctx = ctx;
            this.runtime = runtime;
            this.transport = transport;
        }

        public void onJoined(final NodeMetadata node)
        {
            if (!node.clusterId().equals(ctx.clusterId()) || node.partitionCount() != ctx.partitionCount())
            {
                LOG.error("ignoring member {} of another cluster '{}' (P={})", node.nodeId(), node.clusterId(),
                    node.partitionCount());
                return;
            }
            runtime.rememberNode(node.nodeId());
            runtime.routing().nodeUp(node);
            transport.addPeer(NodeKeys.of(node.nodeId()), node.aeronEndpoint());
        }

        public void onUpdated(final NodeMetadata previous, final NodeMetadata current)
        {
            onJoined(current);
        }

        public void onLeft(final NodeMetadata node, final boolean graceful)
        {
            runtime.routing().nodeDown(node);
            final int waiting = runtime.router().peerGone(node.nodeId());
            if (waiting > 0)
            {
                LOG.info("member {} is gone with {} requests waiting on it: routed again or answered", node.nodeId(),
                    waiting);
            }
            transport.removePeer(NodeKeys.of(node.nodeId()));
        }
    }

    /**
     * Settings of a node. Every setting has a default suited to a local cluster on loopback; the
     * CLI maps its flags onto these.
     */
    public static final class Context
    {
        /** Aeron MTU chosen for a node bound to a loopback address (the link MTU there is 64 KiB). */
        public static final int LOOPBACK_MTU = 8192;
        /** Aeron MTU chosen otherwise: fits a 1500-byte Ethernet path with room for IP and UDP headers. */
        public static final int NETWORK_MTU = 1408;
        /** Partitions of a cluster unless set: enough that the partition count never limits its size. */
        public static final int DEFAULT_PARTITIONS = 256;

        private String nodeId;
        private String clusterId = "rookery";
        private int partitionCount = DEFAULT_PARTITIONS;
        private int replicationFactor = 3;
        private String host = "127.0.0.1";
        private int gossipPort;
        private int raftPort;
        private int aeronPort;
        private int httpPort;
        private Path dataDir;
        private String aeronDirectoryName;
        private List<String> initialMembers = List.of();
        private List<String> join = List.of();
        private Duration bootstrapTimeout = Duration.ofSeconds(120);
        private int partitionLoops = Math.max(1, Runtime.getRuntime().availableProcessors());
        private IdleProfile idleProfile = IdleProfile.POLITE;
        private int aeronMtu;
        private int httpThreads = 4;
        private Path pluginsDir;
        private final List<AgentType<?, ?>> agentTypes = new ArrayList<>();
        private Duration electionTimeoutMin = Duration.ofMillis(500);
        private Duration electionTimeoutMax = Duration.ofMillis(1000);
        private long snapshotThreshold = 20_000;
        private int raftPurgeGap = 1024;
        private Duration gossipPingInterval = Duration.ofMillis(400);
        private int gossipSuspicionMult = 3;
        private int maxPayloadBytes = 1024 * 1024;
        private int maxStateBytes = 1024 * 1024;
        private int maxBatchTurns = 4096;
        private int maxBatchBytes = 1024 * 1024;
        private int maxParkedPerGroup = 50_000;
        private int loopQueueCapacity = 65_536;
        private Duration requestTimeout = Duration.ofSeconds(10);
        private Duration passivateAfter = Duration.ofMinutes(5);
        private Duration replacementGrace = Duration.ofSeconds(30);
        private Duration deploymentSyncInterval = Duration.ofSeconds(1);
        private Path tokenFile;
        private Path clusterSecretFile;
        private Path tlsCertificate;
        private Path tlsKey;
        private Path tlsCa;
        private boolean metricsOpen = true;
        private Duration bundleRetention = Duration.ofSeconds(60);
        private Duration resendAfter = Duration.ofSeconds(1);
        private int maxOutboxMessages = 100_000;
        private Duration idempotencyRetention = Duration.ofMinutes(10);
        private Duration placementInterval = Duration.ofSeconds(1);
        private int maxConcurrentMoves = 2;
        private Duration stalledFollowerTimeout = Duration.ofSeconds(30);
        private boolean balanceLeaders = true;
        private boolean balancePartitions = true;
        private int maxHandoffsPerGroup = 4;
        private int handoffChunkBytes = 256 * 1024;
        private Duration partitionSettle = Duration.ofSeconds(5);
        private Runnable onStopped = () -> { };

        /**
         * Fails fast naming the first bad setting; picks free ports for those left at 0.
         *
         * @return this.
         */
        public Context conclude()
        {
            Objects.requireNonNull(dataDir, "node.dataDir must be set");
            if (partitionCount < 1 || partitionCount > 4096)
            {
                throw new IllegalArgumentException("node.partitions must be in [1, 4096]: " + partitionCount);
            }
            if (replicationFactor < 1 || replicationFactor > 7)
            {
                throw new IllegalArgumentException("node.replicationFactor must be in [1, 7]: " + replicationFactor);
            }
            for (final String member : initialMembers)
            {
                parseMember(member);
            }
            if (!initialMembers.isEmpty() && nodeId != null && !initialMemberIds().contains(nodeId))
            {
                throw new IllegalArgumentException(
                    "node.initialMembers " + initialMembers + " must include this node '" + nodeId + "'");
            }
            if (!initialMembers.isEmpty() && nodeId == null)
            {
                throw new IllegalArgumentException("node.nodeId must be set when node.initialMembers is");
            }
            if (gossipPort == 0 && nodeId != null)
            {
                for (final String member : initialMembers)
                {
                    final String[] parts = parseMember(member);
                    if (parts[0].equals(nodeId))
                    {
                        gossipPort = Integer.parseInt(parts[2]);
                    }
                }
            }
            if (raftPort == 0)
            {
                raftPort = freePort();
            }
            if (aeronDirectoryName == null)
            {
                final String base = Files.isDirectory(Path.of("/dev/shm")) ? "/dev/shm" :
                    System.getProperty("java.io.tmpdir");
                aeronDirectoryName = base + "/rookery-aeron-" +
                    Long.toHexString(Hashing.hash64(dataDir.toAbsolutePath().toString()));
            }
            if (aeronMtu == 0)
            {
                aeronMtu = isLoopback(host) ? LOOPBACK_MTU : NETWORK_MTU;
            }
            if (aeronMtu < 576 || aeronMtu > 65504 || aeronMtu % 32 != 0)
            {
                throw new IllegalArgumentException(
                    "node.aeronMtu must be 0 (auto) or a multiple of 32 in [576, 65504]: " + aeronMtu);
            }
            if (!stalledFollowerTimeout.isZero() &&
                stalledFollowerTimeout.compareTo(electionTimeoutMax.multipliedBy(5)) < 0)
            {
                throw new IllegalArgumentException("node.stalledFollowerTimeout must be zero (off) or at least " +
                    "five maximum election timeouts (" + electionTimeoutMax.multipliedBy(5) + "): " +
                    stalledFollowerTimeout);
            }
            if (handoffChunkBytes < 1024 || handoffChunkBytes > maxPayloadBytes)
            {
                throw new IllegalArgumentException("node.handoffChunkBytes must be in [1 KiB, node.maxPayloadBytes]: " +
                    handoffChunkBytes);
            }
            if (maxHandoffsPerGroup < 1)
            {
                throw new IllegalArgumentException("node.maxHandoffsPerGroup must be >= 1: " + maxHandoffsPerGroup);
            }
            if (maxBatchBytes < 64 * 1024 || maxBatchTurns < 1)
            {
                throw new IllegalArgumentException("node.maxBatchBytes must be >= 64 KiB and node.maxBatchTurns >= 1");
            }
            if (maxStateBytes + maxPayloadBytes + maxBatchBytes > 4 * 1024 * 1024 - 64 * 1024)
            {
                throw new IllegalArgumentException("node.maxStateBytes + node.maxPayloadBytes + " +
                    "node.maxBatchBytes must stay under the 4 MiB entry limit");
            }
            return this;
        }

        private static boolean isLoopback(final String host)
        {
            try
            {
                return InetAddress.getByName(host).isLoopbackAddress();
            }
            catch (final UnknownHostException ex)
            {
                return false;
            }
        }

        List<String> seeds(final String self)
        {
            final List<String> seeds = new ArrayList<>(join);
            for (final String member : initialMembers)
            {
                final String[] parts = parseMember(member);
                if (!parts[0].equals(self))
                {
                    seeds.add(parts[1] + ":" + parts[2]);
                }
            }
            return seeds;
        }

        List<String> initialMemberIds()
        {
            return initialMembers.stream().map(m -> parseMember(m)[0]).toList();
        }

        AgentRuntime.Limits limits()
        {
            return new AgentRuntime.Limits(maxPayloadBytes, maxStateBytes, maxBatchTurns, maxBatchBytes,
                maxParkedPerGroup, loopQueueCapacity, requestTimeout, passivateAfter,
                idleProfile == IdleProfile.LOW_LATENCY ? 10_000 : 100, resendAfter, maxOutboxMessages,
                idempotencyRetention, maxHandoffsPerGroup, handoffChunkBytes);
        }

        /**
         * @param member {@code id@host:gossipPort}.
         * @return id, host, port.
         */
        static String[] parseMember(final String member)
        {
            final int at = member.indexOf('@');
            final int colon = member.lastIndexOf(':');
            if (at <= 0 || colon <= at + 1 || colon == member.length() - 1)
            {
                throw new IllegalArgumentException(
                    "initial member must look like id@host:gossipPort: '" + member + "'");
            }
            final String port = member.substring(colon + 1);
            try
            {
                final int value = Integer.parseInt(port);
                if (value < 1 || value > 65535)
                {
                    throw new NumberFormatException();
                }
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException("bad gossip port in initial member '" + member + "'");
            }
            return new String[] {member.substring(0, at), member.substring(at + 1, colon), port};
        }

        /**
         * @return a free TCP port on this machine (briefly bound, then released).
         */
        public static int freePort()
        {
            try (ServerSocket socket = new ServerSocket(0))
            {
                socket.setReuseAddress(true);
                return socket.getLocalPort();
            }
            catch (final IOException ex)
            {
                throw new IllegalStateException("no free port", ex);
            }
        }

        /** @return configured node id, or null to use the stored or a generated one. */
        public String nodeId()
        {
            return nodeId;
        }

        /**
         * @param nodeId stable id of this node.
         * @return this.
         */
        public Context nodeId(final String nodeId)
        {
            this.nodeId = nodeId;
            return this;
        }

        /** @return cluster id. */
        public String clusterId()
        {
            return clusterId;
        }

        /**
         * @param clusterId cluster id (default rookery); a node refuses members of another.
         * @return this.
         */
        public Context clusterId(final String clusterId)
        {
            this.clusterId = clusterId;
            return this;
        }

        /** @return P. */
        public int partitionCount()
        {
            return partitionCount;
        }

        /**
         * @param count P, fixed when the cluster is created (default 16).
         * @return this.
         */
        public Context partitionCount(final int count)
        {
            this.partitionCount = count;
            return this;
        }

        /** @return R. */
        public int replicationFactor()
        {
            return replicationFactor;
        }

        /**
         * @param factor R, replicas per partition (default 3).
         * @return this.
         */
        public Context replicationFactor(final int factor)
        {
            this.replicationFactor = factor;
            return this;
        }

        /** @return address every endpoint binds and advertises. */
        public String host()
        {
            return host;
        }

        /**
         * @param host address every endpoint binds and advertises (default 127.0.0.1).
         * @return this.
         */
        public Context host(final String host)
        {
            this.host = host;
            return this;
        }

        /** @return gossip TCP port. */
        public int gossipPort()
        {
            return gossipPort;
        }

        /**
         * @param port gossip TCP port (0: from the initial members entry, else free).
         * @return this.
         */
        public Context gossipPort(final int port)
        {
            this.gossipPort = port;
            return this;
        }

        /** @return Raft TCP port. */
        public int raftPort()
        {
            return raftPort;
        }

        /**
         * @param port Raft TCP port (0: a free one; it is recorded in group configurations, so
         *             keep it stable across restarts).
         * @return this.
         */
        public Context raftPort(final int port)
        {
            this.raftPort = port;
            return this;
        }

        /** @return Aeron UDP port. */
        public int aeronPort()
        {
            return aeronPort;
        }

        /**
         * @param port Aeron UDP port (0: a free one).
         * @return this.
         */
        public Context aeronPort(final int port)
        {
            this.aeronPort = port;
            return this;
        }

        /** @return HTTP TCP port. */
        public int httpPort()
        {
            return httpPort;
        }

        /**
         * @param port HTTP TCP port (0: a free one).
         * @return this.
         */
        public Context httpPort(final int port)
        {
            this.httpPort = port;
            return this;
        }

        /** @return data directory. */
        public Path dataDir()
        {
            return dataDir;
        }

        /**
         * @param dir data directory: identity, RocksDB, Raft logs and snapshots.
         * @return this.
         */
        public Context dataDir(final Path dir)
        {
            this.dataDir = dir;
            return this;
        }

        /** @return Aeron media driver directory. */
        public String aeronDirectoryName()
        {
            return aeronDirectoryName;
        }

        /**
         * @param dir Aeron media driver directory (default: under /dev/shm, derived from the data dir).
         * @return this.
         */
        public Context aeronDirectoryName(final String dir)
        {
            this.aeronDirectoryName = dir;
            return this;
        }

        /** @return initial members. */
        public List<String> initialMembers()
        {
            return initialMembers;
        }

        /**
         * @param members {@code id@host:gossipPort} of every initial member, the same list on each.
         * @return this.
         */
        public Context initialMembers(final List<String> members)
        {
            this.initialMembers = List.copyOf(members);
            return this;
        }

        /** @return gossip seeds to join through. */
        public List<String> join()
        {
            return join;
        }

        /**
         * @param seeds {@code host:port} gossip addresses of running nodes, for a node that joins later.
         * @return this.
         */
        public Context join(final List<String> seeds)
        {
            this.join = List.copyOf(seeds);
            return this;
        }

        /** @return how long to wait for every initial member. */
        public Duration bootstrapTimeout()
        {
            return bootstrapTimeout;
        }

        /**
         * @param timeout how long to wait for every initial member at first start (default 120 s).
         * @return this.
         */
        public Context bootstrapTimeout(final Duration timeout)
        {
            this.bootstrapTimeout = timeout;
            return this;
        }

        /** @return number of partition loops. */
        public int partitionLoops()
        {
            return partitionLoops;
        }

        /**
         * @param loops number of single-threaded partition loops (default: cores).
         * @return this.
         */
        public Context partitionLoops(final int loops)
        {
            this.partitionLoops = loops;
            return this;
        }

        /** @return idle profile of loops and transport. */
        public IdleProfile idleProfile()
        {
            return idleProfile;
        }

        /**
         * @param profile idle profile of loops and transport (default polite).
         * @return this.
         */
        public Context idleProfile(final IdleProfile profile)
        {
            this.idleProfile = profile;
            return this;
        }

        /** @return Aeron MTU in bytes; after {@link #conclude()} never 0. */
        public int aeronMtu()
        {
            return aeronMtu;
        }

        /**
         * The largest datagram Aeron sends. Small frames are batched up to it, so on loopback, where the link
         * MTU is 64 KiB, a larger one carries several times the messages per system call. On a real network
         * it must fit the path MTU or datagrams fragment at the IP layer and one lost piece loses them all.
         *
         * @param mtu bytes, a multiple of 32; 0 (default) picks {@value #LOOPBACK_MTU} when the node binds a
         *            loopback address and {@value #NETWORK_MTU} otherwise.
         * @return this.
         */
        public Context aeronMtu(final int mtu)
        {
            this.aeronMtu = mtu;
            return this;
        }

        /** @return HTTP worker threads. */
        public int httpThreads()
        {
            return httpThreads;
        }

        /**
         * @param threads HTTP worker threads (default 4).
         * @return this.
         */
        public Context httpThreads(final int threads)
        {
            this.httpThreads = threads;
            return this;
        }

        /** @return plugins directory. */
        public Path pluginsDir()
        {
            return pluginsDir;
        }

        /**
         * @param dir directory of jars with more agent types, or null.
         * @return this.
         */
        public Context pluginsDir(final Path dir)
        {
            this.pluginsDir = dir;
            return this;
        }

        /** @return agent types registered programmatically. */
        public List<AgentType<?, ?>> agentTypes()
        {
            return agentTypes;
        }

        /**
         * @param type an agent type to register besides those found by ServiceLoader.
         * @return this.
         */
        public Context agentType(final AgentType<?, ?> type)
        {
            agentTypes.add(type);
            return this;
        }

        /** @return minimum Raft election timeout. */
        public Duration electionTimeoutMin()
        {
            return electionTimeoutMin;
        }

        /**
         * @param min minimum Raft election timeout.
         * @param max maximum Raft election timeout.
         * @return this.
         */
        public Context electionTimeout(final Duration min, final Duration max)
        {
            this.electionTimeoutMin = min;
            this.electionTimeoutMax = max;
            return this;
        }

        /** @return maximum Raft election timeout. */
        public Duration electionTimeoutMax()
        {
            return electionTimeoutMax;
        }

        /** @return entries between snapshots. */
        public long snapshotThreshold()
        {
            return snapshotThreshold;
        }

        /**
         * @param entries applied entries between snapshots of a partition (default 20000).
         * @return this.
         */
        public Context snapshotThreshold(final long entries)
        {
            this.snapshotThreshold = entries;
            return this;
        }

        /** @return log entries kept behind a snapshot before purging. */
        public int raftPurgeGap()
        {
            return raftPurgeGap;
        }

        /**
         * @param gap log entries kept behind a snapshot before Ratis purges them (default 1024).
         * @return this.
         */
        public Context raftPurgeGap(final int gap)
        {
            this.raftPurgeGap = gap;
            return this;
        }

        /** @return gossip ping interval. */
        public Duration gossipPingInterval()
        {
            return gossipPingInterval;
        }

        /**
         * @param interval gossip failure-detector ping interval (default 400 ms).
         * @return this.
         */
        public Context gossipPingInterval(final Duration interval)
        {
            this.gossipPingInterval = interval;
            return this;
        }

        /** @return gossip suspicion multiplier. */
        public int gossipSuspicionMult()
        {
            return gossipSuspicionMult;
        }

        /**
         * @param mult gossip suspicion multiplier (default 3).
         * @return this.
         */
        public Context gossipSuspicionMult(final int mult)
        {
            this.gossipSuspicionMult = mult;
            return this;
        }

        /** @return largest accepted message payload. */
        public int maxPayloadBytes()
        {
            return maxPayloadBytes;
        }

        /**
         * @param bytes largest accepted message payload (default 1 MiB).
         * @return this.
         */
        public Context maxPayloadBytes(final int bytes)
        {
            this.maxPayloadBytes = bytes;
            return this;
        }

        /**
         * @param turns turns per log entry before a batch is sealed (default 4096).
         * @return this.
         */
        public Context maxBatchTurns(final int turns)
        {
            this.maxBatchTurns = turns;
            return this;
        }

        /**
         * @param capacity messages that may wait for a partition loop (default 65536).
         * @return this.
         */
        public Context loopQueueCapacity(final int capacity)
        {
            this.loopQueueCapacity = capacity;
            return this;
        }

        /**
         * @param max messages that may wait on one busy group (default 50000).
         * @return this.
         */
        public Context maxParkedPerGroup(final int max)
        {
            this.maxParkedPerGroup = max;
            return this;
        }

        /** @return default request deadline. */
        public Duration requestTimeout()
        {
            return requestTimeout;
        }

        /**
         * @param timeout default request deadline (default 10 s).
         * @return this.
         */
        public Context requestTimeout(final Duration timeout)
        {
            this.requestTimeout = timeout;
            return this;
        }

        /**
         * @param idle time after which an idle agent's in-memory activation is dropped (default 5 min).
         * @return this.
         */
        public Context passivateAfter(final Duration idle)
        {
            this.passivateAfter = idle;
            return this;
        }

        /**
         * @param after time after which unacknowledged durable messages are sent again (default 1 s).
         * @return this.
         */
        public Context resendAfter(final Duration after)
        {
            this.resendAfter = after;
            return this;
        }

        /**
         * @param retention how long the reply to a request with an idempotency key is kept, so a
         *                  retry with the same key gets it instead of applying twice (default 10 min).
         * @return this.
         */
        public Context idempotencyRetention(final Duration retention)
        {
            this.idempotencyRetention = retention;
            return this;
        }

        /** @return the file holding the cluster secret, or null for none. */
        public Path clusterSecretFile()
        {
            return clusterSecretFile;
        }

        /**
         * @param file file whose contents (at least 16 bytes, surrounding whitespace ignored) are the
         *             cluster secret: gossip messages are sealed with a key derived from it, and a node
         *             without it never becomes a member. Null (default) for none.
         * @return this.
         */
        public Context clusterSecretFile(final Path file)
        {
            this.clusterSecretFile = file;
            return this;
        }

        /** @return the cluster secret's bytes, or null for none. */
        byte[] clusterSecret()
        {
            if (clusterSecretFile == null)
            {
                return null;
            }
            try
            {
                final byte[] secret = Files.readString(clusterSecretFile).strip()
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8);
                if (secret.length < 16)
                {
                    throw new IllegalArgumentException("cluster secret in " + clusterSecretFile +
                        " is shorter than 16 bytes");
                }
                return secret;
            }
            catch (final java.io.IOException ex)
            {
                throw new IllegalArgumentException("cannot read cluster secret " + clusterSecretFile + ": " +
                    ex.getMessage(), ex);
            }
        }

        /** @return the file of HTTP bearer tokens, or null when the HTTP API is open to anyone. */
        public Path tokenFile()
        {
            return tokenFile;
        }

        /**
         * @param file file of bearer tokens with their roles ({@code admin} or {@code client}, one
         *             per line), read again when it changes; null (default) leaves the HTTP API open.
         * @return this.
         */
        public Context tokenFile(final Path file)
        {
            this.tokenFile = file;
            return this;
        }

        /** @return the PEM certificate chain of HTTPS, or null for plain HTTP. */
        public Path tlsCertificate()
        {
            return tlsCertificate;
        }

        /** @return the PEM (PKCS#8) private key of HTTPS. */
        public Path tlsKey()
        {
            return tlsKey;
        }

        /** @return the PEM CA certificate the node trusts when it calls its peers over HTTPS. */
        public Path tlsCa()
        {
            return tlsCa;
        }

        /**
         * Serves HTTPS instead of HTTP. The files are read again when they change (new connections
         * get the new certificate).
         *
         * @param certificateChain PEM certificate, then intermediates.
         * @param privateKey       PEM PKCS#8 private key.
         * @param ca               PEM CA certificate(s) the node trusts in its peers' certificates.
         * @return this.
         */
        public Context tls(final Path certificateChain, final Path privateKey, final Path ca)
        {
            this.tlsCertificate = certificateChain;
            this.tlsKey = privateKey;
            this.tlsCa = ca;
            return this;
        }

        /** @return whether {@code /metrics} is served without a token. */
        public boolean metricsOpen()
        {
            return metricsOpen;
        }

        /**
         * @param open whether {@code /metrics} is served without a token (default true, for scrapers);
         *             false asks for an admin token.
         * @return this.
         */
        public Context metricsOpen(final boolean open)
        {
            this.metricsOpen = open;
            return this;
        }

        /** @return how often the node reads the cluster's record of deployments. */
        public Duration deploymentSyncInterval()
        {
            return deploymentSyncInterval;
        }

        /**
         * @param interval how often the node reads the cluster's record of deployments, to load
         *                 and activate the versions it names (default 1 s).
         * @return this.
         */
        public Context deploymentSyncInterval(final Duration interval)
        {
            this.deploymentSyncInterval = interval;
            return this;
        }

        /** @return how long a superseded, drained bundle version is kept before it is pruned. */
        public Duration bundleRetention()
        {
            return bundleRetention;
        }

        /**
         * @param retention how long a bundle version that was replaced, and that no node runs an
         *                  agent on any more, is kept for a rollback before it is pruned (default 60 s).
         * @return this.
         */
        public Context bundleRetention(final Duration retention)
        {
            this.bundleRetention = retention;
            return this;
        }

        /** @return how long a node may be gone before its replicas are replaced. */
        public Duration replacementGrace()
        {
            return replacementGrace;
        }

        /**
         * @param grace how long a node may be gone from gossip before the leaders of its groups
         *              replace its replicas (default 30 s).
         * @return this.
         */
        public Context replacementGrace(final Duration grace)
        {
            this.replacementGrace = grace;
            return this;
        }

        /** @return time between placement ticks. */
        public Duration placementInterval()
        {
            return placementInterval;
        }

        /**
         * @param interval time between placement ticks (default 1 s).
         * @return this.
         */
        public Context placementInterval(final Duration interval)
        {
            this.placementInterval = interval;
            return this;
        }

        /** @return how long a follower may go without a leader before its replica is restarted. */
        public Duration stalledFollowerTimeout()
        {
            return stalledFollowerTimeout;
        }

        /**
         * A follower that hears from no leader starts an election within an election timeout; one
         * that has heard nothing for far longer has an election timer that stopped (Ratis holds it
         * while it counts an append in progress, and an append that failed half-way can stay counted).
         * Such a replica is restarted in place, which gives it a fresh timer.
         *
         * @param timeout silence after which a follower replica is restarted (default 30 s; zero turns the
         *                check off; otherwise at least five maximum election timeouts).
         * @return this.
         */
        public Context stalledFollowerTimeout(final Duration timeout)
        {
            this.stalledFollowerTimeout = timeout;
            return this;
        }

        /** @return replica moves allowed at once across the cluster. */
        public int maxConcurrentMoves()
        {
            return maxConcurrentMoves;
        }

        /**
         * @param moves replica moves allowed at once across the cluster (default 2).
         * @return this.
         */
        public Context maxConcurrentMoves(final int moves)
        {
            this.maxConcurrentMoves = moves;
            return this;
        }

        /** @return whether leaderships are balanced across nodes. */
        public boolean balanceLeaders()
        {
            return balanceLeaders;
        }

        /**
         * @param balance whether leaderships are balanced across nodes (default true).
         * @return this.
         */
        public Context balanceLeaders(final boolean balance)
        {
            this.balanceLeaders = balance;
            return this;
        }

        /** @return whether partitions are moved toward an even spread over the groups. */
        public boolean balancePartitions()
        {
            return balancePartitions;
        }

        /**
         * @param balance whether group leaders move partitions toward an even spread over the groups of
         *                the cluster's nodes (default true; tests that need partitions to stay put turn it off).
         * @return this.
         */
        public Context balancePartitions(final boolean balance)
        {
            this.balancePartitions = balance;
            return this;
        }

        /** @return partitions a group's leader hands over at once. */
        public int maxHandoffsPerGroup()
        {
            return maxHandoffsPerGroup;
        }

        /**
         * @param handoffs partitions a group's leader hands over at once (default 4).
         * @return this.
         */
        public Context maxHandoffsPerGroup(final int handoffs)
        {
            this.maxHandoffsPerGroup = handoffs;
            return this;
        }

        /** @return size a handoff chunk stays under. */
        public int handoffChunkBytes()
        {
            return handoffChunkBytes;
        }

        /**
         * @param bytes size a handoff chunk stays under: one log entry of the target group and one
         *              transport frame each (default 256 KiB).
         * @return this.
         */
        public Context handoffChunkBytes(final int bytes)
        {
            this.handoffChunkBytes = bytes;
            return this;
        }

        /** @return how long the set of groups must hold still before partitions move. */
        public Duration partitionSettle()
        {
            return partitionSettle;
        }

        /**
         * @param settle how long the set of groups must hold still before partitions move (default 5 s).
         * @return this.
         */
        public Context partitionSettle(final Duration settle)
        {
            this.partitionSettle = settle;
            return this;
        }

        /** @return what runs after a requested shutdown completed. */
        public Runnable onStopped()
        {
            return onStopped;
        }

        /**
         * @param callback run after a shutdown requested over HTTP completed (the CLI exits the process).
         * @return this.
         */
        public Context onStopped(final Runnable callback)
        {
            this.onStopped = callback;
            return this;
        }

        /**
         * @return the limits this context describes.
         */
        public Map<String, Object> describeLimits()
        {
            final Map<String, Object> limits = new LinkedHashMap<>();
            limits.put("maxPayloadBytes", maxPayloadBytes);
            limits.put("maxStateBytes", maxStateBytes);
            limits.put("maxBatchTurns", maxBatchTurns);
            limits.put("maxBatchBytes", maxBatchBytes);
            return limits;
        }
    }
}
