package io.rookery.node;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.rookery.gossip.GroupClaim;
import io.rookery.gossip.Membership;
import io.rookery.gossip.MembershipListener;
import io.rookery.gossip.NodeMetadata;
import io.rookery.gossip.NodeState;
import io.rookery.raft.GroupKeys;
import io.rookery.raft.Ownership;
import io.rookery.raft.Placement;
import io.rookery.raft.RaftGroups;
import io.rookery.raft.Reconfiguration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the groups placed and the partitions spread, with no coordinator: every tick, each node
 * looks at the groups it leads and takes at most a few steps toward what placement wants.
 * <ul>
 *   <li>Replicas: a group's members are compared with its home node followed by the rendezvous
 *       choice over the live, active nodes; a member dead for longer than the grace period,
 *       draining, or out-ranked by a node that joined is replaced (first the next choice is added,
 *       Ratis catching it up, then the extra member is removed). Moves are rate-limited
 *       cluster-wide through the counts each node gossips.</li>
 *   <li>Leadership: a group is led by its home node when that node is up and a member; a draining
 *       node hands every leadership away.</li>
 *   <li>Partitions: every leader computes the same spread of partitions over the groups of the
 *       nodes that are (or were, until the grace period ago) members, and hands the partitions its
 *       group should not hold to the groups that should, a few at a time ({@link PartitionBalancer}).</li>
 *   <li>Groups: a node whose own group does not exist anywhere creates it; a leader whose group's
 *       home node is gone for good retires the group once it holds nothing and deletes its replicas;
 *       a replica that no member of its group holds any more is deleted by its node.</li>
 *   <li>Every node watches its own follower replicas and restarts in place one whose election timer
 *       has stopped (see {@link RookeryNode.Context#stalledFollowerTimeout}).</li>
 * </ul>
 * Raft serialises configuration changes, so two nodes never fight over a group; a change computed
 * from a stale view fails its compare-and-set and is recomputed on the next tick.
 */
final class PlacementManager implements MembershipListener, AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(PlacementManager.class);
    /**
     * How long a leadership transfer may take. The leader takes no writes while one is under way, so
     * a transfer that cannot finish (its target died since it was chosen) must not hold the group
     * for long: a healthy transfer on loopback takes well under a second, and a failed one is tried
     * again on a later tick.
     */
    private static final Duration TRANSFER_TIMEOUT = Duration.ofMillis(1500);
    /** How long a home node must have been active before its group's leadership is handed back to it. */
    private static final long HOME_SETTLE_MS = 10_000;
    private final Map<String, Long> activeSinceMs = new HashMap<>();
    /**
     * A transfer goes only to a member that answered this leader within this time (heartbeats come
     * every half minimum election timeout when idle) and holds nearly all its log: a member that
     * just died, which gossip still calls alive for a few seconds, is not chosen.
     */
    private static final long TRANSFER_TARGET_CONTACT_MS = 750;
    private static final long CLOSED_REPLICA_GRACE_MS = 1_000;

    private final Settings settings;
    private final AgentRuntime runtime;
    private final RaftGroups groups;
    private final Reconfiguration reconfiguration;
    private final Membership membership;
    private final ScheduledExecutorService executor;
    private final Map<String, Long> downSinceMs = new ConcurrentHashMap<>();
    private final Map<Long, Long> orphanSinceMs = new HashMap<>();
    private final Map<Long, Long> closedSinceMs = new HashMap<>();
    private final AtomicLong reconfigurations = new AtomicLong();
    private final AtomicLong leaderTransfers = new AtomicLong();
    private final AtomicLong staleReplicasRemoved = new AtomicLong();
    private final AtomicLong stalledReplicaRestarts = new AtomicLong();
    private final StalledFollowerWatch stalledFollowers;
    private final PartitionBalancer balancer;
    private final long startedMs = System.currentTimeMillis();
    private volatile int movesInProgress;
    private long nextBalanceMs;
    private long ownGroupCheckMs;

    /**
     * Settings of placement.
     *
     * @param gracePeriod        how long a node may be gone from gossip before it is replaced and its
     *                           group's partitions move away.
     * @param interval           time between two placement ticks.
     * @param maxConcurrentMoves replica moves allowed at once across the cluster.
     * @param balanceLeaders     whether leaderships go to the groups' home nodes.
     * @param stalledFollower    silence after which a follower replica is restarted, zero for never.
     * @param balancePartitions  whether partitions are moved toward an even spread over the groups.
     * @param settle             how long the set of groups must hold still before partitions move.
     */
    record Settings(
        Duration gracePeriod,
        Duration interval,
        int maxConcurrentMoves,
        boolean balanceLeaders,
        Duration stalledFollower,
        boolean balancePartitions,
        Duration settle)
    {
    }

    PlacementManager(
        final Settings settings, final AgentRuntime runtime, final RaftGroups groups, final Membership membership)
    {
        this.settings = settings;
        this.runtime = runtime;
        this.groups = groups;
        this.reconfiguration = groups.reconfiguration();
        this.membership = membership;
        this.stalledFollowers = new StalledFollowerWatch(settings.stalledFollower(), settings.interval());
        this.balancer = new PartitionBalancer(groups.partitionCount(), settings.settle().toMillis());
        this.executor = Executors.newSingleThreadScheduledExecutor(r ->
        {
            final Thread thread = new Thread(r, "rookery-placement-" + runtime.nodeId());
            thread.setDaemon(true);
            return thread;
        });
    }

    void start()
    {
        executor.scheduleWithFixedDelay(this::tickSafely, settings.interval().toMillis(),
            settings.interval().toMillis(), TimeUnit.MILLISECONDS);
    }

    long reconfigurations()
    {
        return reconfigurations.get();
    }

    long leaderTransfers()
    {
        return leaderTransfers.get();
    }

    long stalledReplicaRestarts()
    {
        return stalledReplicaRestarts.get();
    }

    int movesInProgress()
    {
        return movesInProgress;
    }

    /**
     * @return the groups that take partitions now, as this node sees them.
     */
    Set<Long> activeGroups()
    {
        return PartitionBalancer.activeGroups(liveIds(), Map.copyOf(downSinceMs), System.currentTimeMillis(),
            settings.gracePeriod().toMillis());
    }

    public void onJoined(final NodeMetadata node)
    {
        downSinceMs.remove(node.nodeId());
    }

    public void onUpdated(final NodeMetadata previous, final NodeMetadata current)
    {
        if (current.state() == NodeState.LEAVING)
        {
            downSinceMs.putIfAbsent(current.nodeId(), System.currentTimeMillis());
        }
        else
        {
            downSinceMs.remove(current.nodeId());
        }
    }

    public void onLeft(final NodeMetadata node, final boolean graceful)
    {
        downSinceMs.putIfAbsent(node.nodeId(), System.currentTimeMillis());
    }

    public void close()
    {
        executor.shutdownNow();
        try
        {
            executor.awaitTermination(10, TimeUnit.SECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    private void tickSafely()
    {
        try
        {
            tick(System.currentTimeMillis());
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("placement tick failed node={}: {}", runtime.nodeId(), ex.toString());
        }
    }

    void tick(final long nowMs)
    {
        restartStalledFollowers(nowMs);
        reopenClosedReplicas(nowMs);
        final Collection<NodeMetadata> members = membership.members();
        final Map<String, NodeMetadata> live = new HashMap<>();
        for (final NodeMetadata m : members)
        {
            live.put(m.nodeId(), m);
            // Gossip only reports changes: re-reading the claims now and then heals a belief that a
            // redirect or a departure took away while nothing changed.
            runtime.routing().nodeUp(m);
        }
        runtime.routing().reconcileLeaders(members);
        for (final String id : runtime.knownNodeIds())
        {
            if (!live.containsKey(id))
            {
                // A node known from the configuration or a group's name that this node never saw up.
                downSinceMs.putIfAbsent(id, startedMs);
            }
        }
        final List<String> eligible = new ArrayList<>();
        for (final NodeMetadata m : members)
        {
            if (eligible(m))
            {
                eligible.add(m.nodeId());
            }
        }
        final boolean selfDraining = membership.local().state() == NodeState.DRAINING;
        final int r = groups.replicationFactor();

        int myMoves = 0;
        final Map<Long, Reconfiguration.Configuration> led = new LinkedHashMap<>();
        for (final long g : groups.hostedGroups())
        {
            if (groups.readyLeaderTerm(g) < 0)
            {
                continue;
            }
            final Reconfiguration.Configuration conf = reconfiguration.configuration(g).orElse(null);
            if (conf == null)
            {
                continue;
            }
            led.put(g, conf);
            if (conf.transitional() || conf.peers().size() > r)
            {
                myMoves++;
            }
            final GroupRuntime runtimeOfGroup = runtime.groupRuntimes().get(g);
            myMoves += runtimeOfGroup == null ? 0 : runtimeOfGroup.outgoingCount();
        }
        publishMoves(myMoves);

        if (selfDraining)
        {
            for (final Map.Entry<Long, Reconfiguration.Configuration> entry : led.entrySet())
            {
                if (handOffLeadership(entry.getKey(), entry.getValue(), preferredLeaders(entry.getKey(), eligible),
                    "draining"))
                {
                    break;
                }
            }
            return;
        }

        boolean acted = false;
        for (final Map.Entry<Long, Reconfiguration.Configuration> entry : led.entrySet())
        {
            if (acted)
            {
                break;
            }
            if (!entry.getValue().transitional())
            {
                acted = reconcile(entry.getKey(), entry.getValue(), live, eligible, r, nowMs);
            }
        }
        if (!acted)
        {
            acted = removeStaleReplicas(led, live);
        }
        if (!acted && settings.balanceLeaders() && nowMs >= nextBalanceMs)
        {
            if (leadHome(led, live, nowMs))
            {
                nextBalanceMs = nowMs + 3 * settings.interval().toMillis();
                acted = true;
            }
        }
        if (settings.balancePartitions())
        {
            balancePartitions(led.keySet(), live, nowMs);
        }
        retireGroupsOfGoneNodes(led, nowMs);
        if (!acted)
        {
            createOwnGroupIfMissing(live, eligible, r, nowMs);
        }
        dropOrphanedReplicas(live, nowMs);
    }

    private List<String> liveIds()
    {
        final List<String> ids = new ArrayList<>();
        for (final NodeMetadata m : membership.members())
        {
            if (m.state() != NodeState.LEAVING)
            {
                ids.add(m.nodeId());
            }
        }
        return ids;
    }

    /**
     * A replica Ratis closed by itself stays deaf to its leader until reopened: reopen it once it has
     * been closed a moment (a removal in progress takes the group off this node meanwhile).
     */
    private void reopenClosedReplicas(final long nowMs)
    {
        final List<Long> closedNow = groups.closedReplicas();
        closedSinceMs.keySet().retainAll(closedNow);
        for (final long g : closedNow)
        {
            final long since = closedSinceMs.computeIfAbsent(g, k -> nowMs);
            if (nowMs - since < CLOSED_REPLICA_GRACE_MS)
            {
                continue;
            }
            closedSinceMs.remove(g);
            try
            {
                groups.restartReplica(g);
                runtime.metrics().closedReplicaReopens.inc();
                LOG.warn("group {}: reopened the replica on {} that Ratis had closed", groups.label(g),
                    runtime.nodeId());
            }
            catch (final IOException ex)
            {
                LOG.error("group {}: reopening the closed replica on {} failed: {}", groups.label(g), runtime.nodeId(),
                    ex.toString());
            }
        }
    }

    private void restartStalledFollowers(final long nowMs)
    {
        for (final StalledFollowerWatch.Stalled stalled :
            stalledFollowers.due(nowMs, groups.hostedGroups(), groups::followerSilence))
        {
            final long g = stalled.group();
            final RaftGroups.FollowerSilence follower = stalled.follower();
            LOG.warn("group {}: the follower on {} has heard from no leader for {} ms without standing for " +
                "election (last leader {}, {} appends counted in progress); restarting the replica", groups.label(g),
                runtime.nodeId(), follower.silence().toMillis(), follower.leader(), follower.outstandingAppends());
            try
            {
                groups.restartReplica(g);
                stalledReplicaRestarts.incrementAndGet();
                runtime.metrics().stalledReplicaRestarts.inc();
            }
            catch (final IOException ex)
            {
                LOG.error("group {}: restarting the stalled replica on {} failed; it returns when the node " +
                    "restarts: {}", groups.label(g), runtime.nodeId(), ex.toString());
            }
        }
    }

    /**
     * The members a group's replicas should be on: its home node when eligible, then rendezvous order.
     */
    private List<String> desiredReplicas(final long g, final List<String> eligible, final int r)
    {
        return Placement.replicas(runtime.homeNodeOf(g), eligible, g, r);
    }

    private List<String> preferredLeaders(final long g, final List<String> eligible)
    {
        return Placement.ranked(runtime.homeNodeOf(g), eligible, g);
    }

    private boolean reconcile(
        final long g,
        final Reconfiguration.Configuration conf,
        final Map<String, NodeMetadata> live,
        final List<String> eligible,
        final int r,
        final long nowMs)
    {
        if (groups.retired(g))
        {
            return false;
        }
        final Map<String, String> current = conf.peers();
        final List<String> desired = desiredReplicas(g, eligible, r);
        final String self = runtime.nodeId();

        if (current.size() > r)
        {
            final String victim = worstMember(current, desired, live, g);
            if (victim == null)
            {
                return false;
            }
            if (victim.equals(self))
            {
                return handOffLeadership(g, new Reconfiguration.Configuration(current, false, conf.index()), desired,
                    "leaving the group");
            }
            final Map<String, String> next = new LinkedHashMap<>(current);
            next.remove(victim);
            return apply(g, current, next, "remove " + victim + " (" + reason(victim, desired, live, nowMs) + ")",
                victim, current.get(victim), live.containsKey(victim));
        }

        final boolean needsMove = current.size() < r || current.keySet().stream()
            .anyMatch(id -> !desired.contains(id) && replaceable(id, live, nowMs));
        if (!needsMove)
        {
            return false;
        }
        if (current.size() >= r && clusterMoves() >= settings.maxConcurrentMoves())
        {
            return false;
        }
        for (final String candidate : desired)
        {
            if (current.containsKey(candidate))
            {
                continue;
            }
            final NodeMetadata node = live.get(candidate);
            if (node == null)
            {
                continue;
            }
            final Map<String, String> next = new LinkedHashMap<>(current);
            next.put(candidate, node.raftEndpoint());
            try
            {
                reconfiguration.createRemoteReplica(candidate, node.raftEndpoint(), g, next);
            }
            catch (final Exception ex)
            {
                LOG.warn("placement group={} could not create a replica on {}: {}", groups.label(g), candidate,
                    ex.toString());
                return true;
            }
            return apply(g, current, next, "add " + candidate, null, null, false);
        }
        return false;
    }

    /**
     * A node may hold replicas unless it is draining or leaving; a node that is still starting
     * (restarting, or joining) counts, so a restart does not move its replicas away.
     */
    private static boolean eligible(final NodeMetadata node)
    {
        return node.state() == NodeState.ACTIVE || node.state() == NodeState.JOINING;
    }

    /**
     * Whether a member that placement no longer wants may be replaced now: a draining or
     * out-ranked node at once (rate-limited), a node that is gone or shutting down only after
     * the grace period, since it may be coming back.
     */
    private boolean replaceable(final String id, final Map<String, NodeMetadata> live, final long nowMs)
    {
        final NodeMetadata node = live.get(id);
        if (node == null || node.state() == NodeState.LEAVING)
        {
            final long since = downSinceMs.computeIfAbsent(id, k -> node == null ? startedMs : nowMs);
            return nowMs - since >= settings.gracePeriod().toMillis();
        }
        return true;
    }

    private String worstMember(
        final Map<String, String> current, final List<String> desired, final Map<String, NodeMetadata> live,
        final long g)
    {
        String dead = null;
        String notEligible = null;
        String outranked = null;
        for (final String id : current.keySet())
        {
            if (desired.contains(id))
            {
                continue;
            }
            final NodeMetadata node = live.get(id);
            if (node == null)
            {
                dead = dead == null ? id : dead;
            }
            else if (!eligible(node))
            {
                notEligible = notEligible == null ? id : notEligible;
            }
            else if (outranked == null || Placement.score(id, g) < Placement.score(outranked, g))
            {
                outranked = id;
            }
        }
        return dead != null ? dead : notEligible != null ? notEligible : outranked;
    }

    private String reason(
        final String id, final List<String> desired, final Map<String, NodeMetadata> live, final long nowMs)
    {
        final NodeMetadata node = live.get(id);
        if (node == null)
        {
            return "gone for " + (nowMs - downSinceMs.getOrDefault(id, startedMs)) / 1000 + " s";
        }
        return !eligible(node) ? node.state().name().toLowerCase() : "out-ranked by " + desired;
    }

    private boolean apply(
        final long g,
        final Map<String, String> current,
        final Map<String, String> next,
        final String what,
        final String removed,
        final String removedAddress,
        final boolean removedIsLive)
    {
        LOG.info("reconfiguration group={} {}: {} -> {}", groups.label(g), what, current.keySet(), next.keySet());
        try
        {
            reconfiguration.changeReplicas(g, current, next).get(60, TimeUnit.SECONDS);
            reconfigurations.incrementAndGet();
            runtime.metrics().reconfigurations.inc();
        }
        catch (final Exception ex)
        {
            LOG.warn("reconfiguration group={} {} failed: {}", groups.label(g), what, ex.toString());
            return true;
        }
        if (removed != null && removedIsLive)
        {
            try
            {
                reconfiguration.removeReplica(removed, removedAddress, g);
            }
            catch (final Exception ex)
            {
                LOG.info("group={} replica on {} not deleted yet ({}); it is cleaned up later", groups.label(g),
                    removed, ex.toString());
            }
        }
        LOG.info("reconfiguration group={} {} done: members {}", groups.label(g), what, next.keySet());
        return true;
    }

    private boolean handOffLeadership(
        final long g, final Reconfiguration.Configuration conf, final List<String> preferred, final String why)
    {
        for (final String id : preferred)
        {
            if (!id.equals(runtime.nodeId()) && conf.peers().containsKey(id) && caughtUp(g, id))
            {
                return transfer(g, id, why);
            }
        }
        return false;
    }

    private boolean transfer(final long g, final String to, final String why)
    {
        LOG.info("leadership transfer group={} {} -> {} ({})", groups.label(g), runtime.nodeId(), to, why);
        try
        {
            reconfiguration.transferLeadership(g, to, TRANSFER_TIMEOUT).get(TRANSFER_TIMEOUT.toMillis() + 2000,
                TimeUnit.MILLISECONDS);
            leaderTransfers.incrementAndGet();
            runtime.metrics().leaderChanges.labelValues("transferred").inc();
        }
        catch (final Exception ex)
        {
            LOG.info("leadership transfer group={} to {} failed: {}", groups.label(g), to, ex.toString());
        }
        return true;
    }

    private boolean removeStaleReplicas(
        final Map<Long, Reconfiguration.Configuration> led, final Map<String, NodeMetadata> live)
    {
        for (final Map.Entry<Long, Reconfiguration.Configuration> entry : led.entrySet())
        {
            final long g = entry.getKey();
            if (entry.getValue().transitional())
            {
                continue;
            }
            for (final NodeMetadata node : live.values())
            {
                if (node.hostsGroup(g) && !entry.getValue().peers().containsKey(node.nodeId()))
                {
                    LOG.info("group={} node {} still holds a replica outside the group; removing it", groups.label(g),
                        node.nodeId());
                    try
                    {
                        reconfiguration.removeReplica(node.nodeId(), node.raftEndpoint(), g);
                        staleReplicasRemoved.incrementAndGet();
                    }
                    catch (final Exception ex)
                    {
                        LOG.info("group={} stale replica on {} not removed: {}", groups.label(g), node.nodeId(),
                            ex.toString());
                    }
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Hands a group's leadership to its home node when that node is a member, has been active for
     * {@link #HOME_SETTLE_MS} (unless it was already active when this node started) and is caught
     * up. A node that has just come back is often not ready to lead for a few seconds (its replicas
     * still catching up, its connections to the leader being re-established), and a transfer that
     * cannot finish holds the group's writes while it tries.
     */
    private boolean leadHome(
        final Map<Long, Reconfiguration.Configuration> led, final Map<String, NodeMetadata> live, final long nowMs)
    {
        activeSinceMs.keySet().removeIf(id -> live.get(id) == null || live.get(id).state() != NodeState.ACTIVE);
        // Members seen active while this node itself is starting (a cluster forming, or this node
        // coming back) need no settling: the groups' leaders were just elected anyway.
        final long firstSeenAs = nowMs - startedMs < HOME_SETTLE_MS ? nowMs - HOME_SETTLE_MS : nowMs;
        for (final NodeMetadata node : live.values())
        {
            if (node.state() == NodeState.ACTIVE)
            {
                activeSinceMs.putIfAbsent(node.nodeId(), firstSeenAs);
            }
        }
        for (final Map.Entry<Long, Reconfiguration.Configuration> entry : led.entrySet())
        {
            final long g = entry.getKey();
            final String home = runtime.homeNodeOf(g);
            if (home == null || home.equals(runtime.nodeId()) || !entry.getValue().peers().containsKey(home) ||
                entry.getValue().transitional())
            {
                continue;
            }
            final Long since = activeSinceMs.get(home);
            if (since != null && nowMs - since >= HOME_SETTLE_MS && caughtUp(g, home))
            {
                return transfer(g, home, "home node of the group");
            }
        }
        return false;
    }

    private boolean caughtUp(final long g, final String member)
    {
        return groups.status(g).replicas().stream()
            .anyMatch(replica -> replica.nodeId().equals(member) && replica.caughtUp(TRANSFER_TARGET_CONTACT_MS));
    }

    /**
     * Moves the partitions this node's groups serve toward the spread every leader computes.
     */
    private void balancePartitions(final Collection<Long> led, final Map<String, NodeMetadata> live, final long nowMs)
    {
        final Set<Long> active = PartitionBalancer.activeGroups(liveIds(), Map.copyOf(downSinceMs), nowMs,
            settings.gracePeriod().toMillis());
        if (!balancer.settled(active, nowMs) || led.isEmpty())
        {
            return;
        }
        final long[] assignment = balancer.assignment(active);
        for (final long g : led)
        {
            final GroupRuntime group = runtime.groupRuntimes().get(g);
            final GroupClaim claim = group == null ? null : group.claim();
            if (claim == null)
            {
                continue;
            }
            final List<Integer> served = new ArrayList<>();
            for (final int p : claim.partitions())
            {
                served.add(p);
            }
            final int budget = runtime.limits().maxHandoffsPerGroup() - group.outgoingCount();
            for (final long[] move : PartitionBalancer.moves(g, served, assignment, this::canTakePartitions, budget))
            {
                final int partition = (int)move[0];
                final long target = move[1];
                runtime.requestMove(partition, target).thenAccept(refusal ->
                {
                    if (refusal != null)
                    {
                        LOG.debug("move of partition {} to {} not started: {}", partition, groups.label(target),
                            refusal);
                    }
                });
            }
        }
    }

    /**
     * Whether a group can take partitions now: some node leads it and it has not retired.
     */
    private boolean canTakePartitions(final long g)
    {
        if (groups.hosts(g) && groups.retired(g))
        {
            return false;
        }
        return runtime.routing().groupLeader(g).nodeId() != null;
    }

    /**
     * Retires the groups this node leads whose home node is gone for good, once they hold nothing,
     * and then deletes their replicas.
     */
    private void retireGroupsOfGoneNodes(final Map<Long, Reconfiguration.Configuration> led, final long nowMs)
    {
        final Set<Long> active = PartitionBalancer.activeGroups(liveIds(), Map.copyOf(downSinceMs), nowMs,
            settings.gracePeriod().toMillis());
        for (final Map.Entry<Long, Reconfiguration.Configuration> entry : led.entrySet())
        {
            final long g = entry.getKey();
            if (active.contains(g))
            {
                continue;
            }
            if (!groups.retired(g))
            {
                if (holdsNothing(g))
                {
                    final GroupRuntime group = runtime.groupRuntimes().get(g);
                    if (group != null)
                    {
                        LOG.info("group={} holds nothing and its home node is gone; retiring it", groups.label(g));
                        group.loop().control(group::requestRetire);
                    }
                }
                continue;
            }
            LOG.info("group={} is retired; deleting its replicas {}", groups.label(g),
                entry.getValue().peers().keySet());
            for (final Map.Entry<String, String> member : entry.getValue().peers().entrySet())
            {
                if (member.getKey().equals(runtime.nodeId()))
                {
                    continue;
                }
                try
                {
                    reconfiguration.removeReplica(member.getKey(), member.getValue(), g);
                }
                catch (final Exception ex)
                {
                    LOG.info("group={} replica on {} not deleted ({}); its node drops it later", groups.label(g),
                        member.getKey(), ex.toString());
                }
            }
            try
            {
                groups.removeLocalReplica(g);
            }
            catch (final IOException ex)
            {
                LOG.warn("group={} local replica not deleted: {}", groups.label(g), ex.toString());
            }
            return;
        }
    }

    private boolean holdsNothing(final long g)
    {
        for (final Ownership ownership : groups.ownership(g).values())
        {
            if (ownership.state() != Ownership.State.RELEASED)
            {
                return false;
            }
        }
        return true;
    }

    /**
     * A node whose own group exists nowhere (a node that joined, or one that came back after its
     * group was retired) creates it, with itself first among its replicas.
     */
    private void createOwnGroupIfMissing(
        final Map<String, NodeMetadata> live, final List<String> eligible, final int r, final long nowMs)
    {
        final String self = runtime.nodeId();
        final long own = GroupKeys.of(self);
        if (membership.local().state() != NodeState.ACTIVE || groups.hosts(own) || nowMs < ownGroupCheckMs)
        {
            return;
        }
        if (nowMs - startedMs < settings.settle().toMillis())
        {
            // Let gossip show every member's groups first.
            return;
        }
        for (final NodeMetadata m : live.values())
        {
            if (m.hostsGroup(own) || m.claimOf(own) != null)
            {
                return;
            }
        }
        ownGroupCheckMs = nowMs + 5 * settings.interval().toMillis();
        final List<String> replicas = Placement.replicas(self, eligible, own, r);
        if (!replicas.contains(self))
        {
            return;
        }
        final Map<String, String> peers = new LinkedHashMap<>();
        for (final String id : replicas)
        {
            peers.put(id, id.equals(self) ? groups.raftAddress() : live.get(id).raftEndpoint());
        }
        LOG.info("group=g-{} does not exist yet; creating it on {}", self, peers.keySet());
        try
        {
            for (final Map.Entry<String, String> peer : peers.entrySet())
            {
                if (!peer.getKey().equals(self))
                {
                    reconfiguration.createRemoteReplica(peer.getKey(), peer.getValue(), own, peers);
                }
            }
            groups.addReplica(own, peers);
        }
        catch (final IOException ex)
        {
            LOG.warn("creating group=g-{} failed; retried later: {}", self, ex.toString());
        }
    }

    /**
     * Deletes a local replica whose group no other member holds any more (a group retired while
     * this node was away), once that has held for a while and no leader is known.
     */
    private void dropOrphanedReplicas(final Map<String, NodeMetadata> live, final long nowMs)
    {
        orphanSinceMs.keySet().retainAll(groups.hostedGroups());
        for (final long g : groups.hostedGroups())
        {
            final Reconfiguration.Configuration conf = reconfiguration.configuration(g).orElse(null);
            if (conf == null || groups.leaderOf(g) != null)
            {
                orphanSinceMs.remove(g);
                continue;
            }
            boolean orphan = conf.peers().size() > 1;
            for (final String member : conf.peers().keySet())
            {
                if (member.equals(runtime.nodeId()))
                {
                    continue;
                }
                final NodeMetadata node = live.get(member);
                if (node == null || node.hostsGroup(g))
                {
                    orphan = false;
                    break;
                }
            }
            if (!orphan)
            {
                orphanSinceMs.remove(g);
                continue;
            }
            final long since = orphanSinceMs.computeIfAbsent(g, k -> nowMs);
            if (nowMs - since >= settings.gracePeriod().toMillis())
            {
                LOG.warn("group={}: no other member holds it any more (retired while this node was away); " +
                    "deleting the local replica", groups.label(g));
                try
                {
                    groups.removeLocalReplica(g);
                }
                catch (final IOException ex)
                {
                    LOG.warn("group={} orphaned replica not deleted: {}", groups.label(g), ex.toString());
                }
                orphanSinceMs.remove(g);
            }
        }
    }

    private int clusterMoves()
    {
        int moves = movesInProgress;
        for (final NodeMetadata m : membership.members())
        {
            if (!m.nodeId().equals(runtime.nodeId()))
            {
                moves += m.movesInProgress();
            }
        }
        return moves;
    }

    private void publishMoves(final int moves)
    {
        if (moves != movesInProgress)
        {
            movesInProgress = moves;
            membership.updateLocal(m -> m.withMovesInProgress(moves));
        }
    }
}
