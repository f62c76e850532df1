package io.rookery.node;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.rookery.gossip.Membership;
import io.rookery.gossip.MembershipListener;
import io.rookery.gossip.NodeMetadata;
import io.rookery.gossip.NodeState;
import io.rookery.raft.PartitionGroups;
import io.rookery.raft.Placement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Each partition group's leader keeps its own group placed, with no coordinator: every tick it
 * compares the group's members with the rendezvous choice over the live, active nodes of the
 * gossip view, and takes at most one step towards it.
 * <ul>
 *   <li>A member dead (absent from gossip) for longer than the grace period, draining, or simply
 *       out-ranked by a node that joined, is replaced: first the next choice is added (Ratis
 *       catches it up before the configuration commits), then, on a later tick, the extra member
 *       is removed and its replica deleted. A leader that must leave its own group hands the
 *       leadership to a member that stays.</li>
 *   <li>Moves are rate-limited cluster-wide: each node gossips how many of its groups are
 *       mid-move, and a leader starts a move only while the total is under the limit.</li>
 *   <li>Leaderships are balanced: a node leading more than its share hands one to a member that
 *       leads less.</li>
 *   <li>A node that announces a replica of a group that no longer counts it is told to delete it.</li>
 *   <li>Every node watches its own follower replicas: one that has heard from no leader for far
 *       longer than an election timeout, yet has not stood for election, has a stopped election
 *       timer, and is restarted in place (see {@link RookeryNode.Context#stalledFollowerTimeout}).</li>
 * </ul>
 * Raft serialises configuration changes, so two nodes never fight over a group; a change
 * computed from a stale view fails its compare-and-set and is recomputed on the next tick.
 */
final class PlacementManager implements MembershipListener, AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(PlacementManager.class);
    private static final Duration TRANSFER_TIMEOUT = Duration.ofSeconds(5);

    private final Settings settings;
    private final AgentRuntime runtime;
    private final PartitionGroups groups;
    private final Membership membership;
    private final ScheduledExecutorService executor;
    private final Map<String, Long> downSinceMs = new ConcurrentHashMap<>();
    private final AtomicLong reconfigurations = new AtomicLong();
    private final AtomicLong leaderTransfers = new AtomicLong();
    private final AtomicLong staleReplicasRemoved = new AtomicLong();
    private final AtomicLong stalledReplicaRestarts = new AtomicLong();
    private final StalledFollowerWatch stalledFollowers;
    private final long startedMs = System.currentTimeMillis();
    private volatile int movesInProgress;
    private long nextBalanceMs;

    /**
     * Settings of placement.
     *
     * @param gracePeriod        how long a node may be gone from gossip before it is replaced.
     * @param interval           time between two placement ticks.
     * @param maxConcurrentMoves replica moves allowed at once across the cluster.
     * @param balanceLeaders     whether leaderships are balanced across nodes.
     * @param stalledFollower    silence after which a follower replica is restarted, zero for never.
     */
    record Settings(
        Duration gracePeriod,
        Duration interval,
        int maxConcurrentMoves,
        boolean balanceLeaders,
        Duration stalledFollower)
    {
    }

    PlacementManager(
        final Settings settings, final AgentRuntime runtime, final PartitionGroups groups, final Membership membership)
    {
        this.settings = settings;
        this.runtime = runtime;
        this.groups = groups;
        this.membership = membership;
        this.stalledFollowers = new StalledFollowerWatch(
            settings.stalledFollower(), settings.interval(), groups.partitionCount());
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
        final Collection<NodeMetadata> members = membership.members();
        final Map<String, NodeMetadata> live = new HashMap<>();
        for (final NodeMetadata m : members)
        {
            live.put(m.nodeId(), m);
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
        final int partitionCount = groups.partitionCount();
        final int r = groups.replicationFactor();

        int myMoves = 0;
        final Map<Integer, PartitionGroups.Configuration> led = new LinkedHashMap<>();
        for (int p = 0; p < partitionCount; p++)
        {
            if (runtime.ledTerm(p) < 0 || groups.readyLeaderTerm(p) < 0)
            {
                continue;
            }
            final PartitionGroups.Configuration conf = groups.configuration(p).orElse(null);
            if (conf == null)
            {
                continue;
            }
            led.put(p, conf);
            if (conf.transitional() || conf.peers().size() > r)
            {
                myMoves++;
            }
        }
        publishMoves(myMoves);

        boolean acted = false;
        for (final Map.Entry<Integer, PartitionGroups.Configuration> entry : led.entrySet())
        {
            if (acted)
            {
                break;
            }
            final int p = entry.getKey();
            final PartitionGroups.Configuration conf = entry.getValue();
            if (conf.transitional())
            {
                continue;
            }
            if (selfDraining)
            {
                acted = handOffLeadership(p, conf, eligible, "draining");
                continue;
            }
            acted = reconcile(p, conf, live, eligible, r, nowMs);
        }
        if (!acted && !selfDraining)
        {
            acted = removeStaleReplicas(led, live);
        }
        if (!acted && settings.balanceLeaders() && !selfDraining && nowMs >= nextBalanceMs)
        {
            if (balanceLeadership(led, members, eligible))
            {
                nextBalanceMs = nowMs + 3 * settings.interval().toMillis();
            }
        }
    }

    private void restartStalledFollowers(final long nowMs)
    {
        for (final StalledFollowerWatch.Stalled stalled : stalledFollowers.due(nowMs, groups::followerSilence))
        {
            final int p = stalled.partition();
            final PartitionGroups.FollowerSilence follower = stalled.follower();
            LOG.warn("partition {}: the follower on {} has heard from no leader for {} ms without standing for " +
                "election (last leader {}, {} appends counted in progress); restarting the replica", p,
                runtime.nodeId(), follower.silence().toMillis(), follower.leader(), follower.outstandingAppends());
            try
            {
                groups.restartReplica(p);
                stalledReplicaRestarts.incrementAndGet();
                runtime.metrics().stalledReplicaRestarts.inc();
            }
            catch (final IOException ex)
            {
                LOG.error("partition {}: restarting the stalled replica on {} failed; it returns when the node " +
                    "restarts: {}", p, runtime.nodeId(), ex.toString());
            }
        }
    }

    private boolean reconcile(
        final int p,
        final PartitionGroups.Configuration conf,
        final Map<String, NodeMetadata> live,
        final List<String> eligible,
        final int r,
        final long nowMs)
    {
        final Map<String, String> current = conf.peers();
        final List<String> desired = Placement.replicas(eligible, p, r);
        final String self = runtime.nodeId();

        if (current.size() > r)
        {
            final String victim = worstMember(current, desired, live, p, nowMs);
            if (victim == null)
            {
                return false;
            }
            if (victim.equals(self))
            {
                return handOffLeadership(p, new PartitionGroups.Configuration(current, false, conf.index()), desired,
                    "leaving the group");
            }
            final Map<String, String> next = new LinkedHashMap<>(current);
            next.remove(victim);
            return apply(p, current, next, "remove " + victim + " (" + reason(victim, desired, live, nowMs) + ")",
                victim, current.get(victim), live.containsKey(victim));
        }

        final boolean needsMove = current.size() < r || current.keySet().stream()
            .anyMatch(id -> !desired.contains(id) && replaceable(id, desired, live, nowMs));
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
                groups.createRemoteReplica(candidate, node.raftEndpoint(), p, next);
            }
            catch (final Exception ex)
            {
                LOG.warn("placement partition={} could not create a replica on {}: {}", p, candidate, ex.toString());
                return true;
            }
            return apply(p, current, next, "add " + candidate, null, null, false);
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
    private boolean replaceable(
        final String id, final List<String> desired, final Map<String, NodeMetadata> live, final long nowMs)
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
        final Map<String, String> current,
        final List<String> desired,
        final Map<String, NodeMetadata> live,
        final int p,
        final long nowMs)
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
            else if (outranked == null || Placement.score(id, p) < Placement.score(outranked, p))
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
        final int p,
        final Map<String, String> current,
        final Map<String, String> next,
        final String what,
        final String removed,
        final String removedAddress,
        final boolean removedIsLive)
    {
        LOG.info("reconfiguration partition={} {}: {} -> {}", p, what, current.keySet(), next.keySet());
        try
        {
            groups.changeReplicas(p, current, next).get(60, TimeUnit.SECONDS);
            reconfigurations.incrementAndGet();
            runtime.metrics().reconfigurations.inc();
        }
        catch (final Exception ex)
        {
            LOG.warn("reconfiguration partition={} {} failed: {}", p, what, ex.toString());
            return true;
        }
        if (removed != null && removedIsLive)
        {
            try
            {
                groups.removeReplica(removed, removedAddress, p);
            }
            catch (final Exception ex)
            {
                LOG.info("partition={} replica on {} not deleted yet ({}); it is cleaned up later", p, removed,
                    ex.toString());
            }
        }
        LOG.info("reconfiguration partition={} {} done: members {}", p, what, next.keySet());
        return true;
    }

    private boolean handOffLeadership(
        final int p, final PartitionGroups.Configuration conf, final List<String> preferred, final String why)
    {
        for (final String id : preferred)
        {
            if (!id.equals(runtime.nodeId()) && conf.peers().containsKey(id))
            {
                return transfer(p, id, why);
            }
        }
        return false;
    }

    private boolean transfer(final int p, final String to, final String why)
    {
        LOG.info("leadership transfer partition={} {} -> {} ({})", p, runtime.nodeId(), to, why);
        try
        {
            groups.transferLeadership(p, to, TRANSFER_TIMEOUT).get(TRANSFER_TIMEOUT.toMillis() + 2000,
                TimeUnit.MILLISECONDS);
            leaderTransfers.incrementAndGet();
            runtime.metrics().leaderChanges.labelValues("transferred").inc();
        }
        catch (final Exception ex)
        {
            LOG.info("leadership transfer partition={} to {} failed: {}", p, to, ex.toString());
        }
        return true;
    }

    private boolean removeStaleReplicas(
        final Map<Integer, PartitionGroups.Configuration> led, final Map<String, NodeMetadata> live)
    {
        for (final Map.Entry<Integer, PartitionGroups.Configuration> entry : led.entrySet())
        {
            final int p = entry.getKey();
            if (entry.getValue().transitional())
            {
                continue;
            }
            for (final NodeMetadata node : live.values())
            {
                if (node.hosts(p) && !entry.getValue().peers().containsKey(node.nodeId()))
                {
                    LOG.info("partition={} node {} still holds a replica outside the group; removing it", p,
                        node.nodeId());
                    try
                    {
                        groups.removeReplica(node.nodeId(), node.raftEndpoint(), p);
                        staleReplicasRemoved.incrementAndGet();
                    }
                    catch (final Exception ex)
                    {
                        LOG.info("partition={} stale replica on {} not removed: {}", p, node.nodeId(), ex.toString());
                    }
                    return true;
                }
            }
        }
        return false;
    }

    private boolean balanceLeadership(
        final Map<Integer, PartitionGroups.Configuration> led,
        final Collection<NodeMetadata> members,
        final List<String> eligible)
    {
        if (eligible.size() < 2 || !eligible.contains(runtime.nodeId()))
        {
            return false;
        }
        final Map<String, Integer> leads = new HashMap<>();
        for (final NodeMetadata m : members)
        {
            int count = 0;
            for (int p = 0; p < m.partitionCount(); p++)
            {
                count += m.leaderTerm(p) != NodeMetadata.NOT_LEADER ? 1 : 0;
            }
            leads.put(m.nodeId(), count);
        }
        leads.put(runtime.nodeId(), led.size());
        final int fairShare = (groups.partitionCount() + eligible.size() - 1) / eligible.size();
        if (led.size() <= fairShare)
        {
            return false;
        }
        for (final Map.Entry<Integer, PartitionGroups.Configuration> entry : led.entrySet())
        {
            String best = null;
            for (final String id : entry.getValue().peers().keySet())
            {
                if (id.equals(runtime.nodeId()) || !eligible.contains(id))
                {
                    continue;
                }
                final int theirs = leads.getOrDefault(id, 0);
                if (theirs + 1 < led.size() && theirs < fairShare && (best == null || theirs < leads.get(best)))
                {
                    best = id;
                }
            }
            if (best != null)
            {
                return transfer(entry.getKey(), best, "balancing: " + led.size() + " led, fair share " + fairShare);
            }
        }
        return false;
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
