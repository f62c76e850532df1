package io.rookery.node;

import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;

import io.rookery.gossip.GroupClaim;
import io.rookery.gossip.NodeMetadata;

/**
 * This node's belief of who serves each partition: which group owns it (the highest epoch heard
 * of), which node leads that group (the highest term heard of), and, for a partition that just
 * moved, the node a redirect pointed at.
 * <p>
 * Fed by this node's own Raft replicas (exact for the groups it hosts), by the claims every group
 * leader gossips (its term, the partitions its group owns and their epochs) and by redirect hints
 * from nodes that were asked but do not serve. A wrong belief costs one redirect; it is never
 * trusted for correctness, which the fences in every frame and the groups' own logs protect.
 */
final class RoutingTable
{
    /**
     * A believed leader.
     *
     * @param nodeId leader node id, or null while no leader is known.
     * @param term   the term the belief is about.
     */
    record Leader(String nodeId, long term)
    {
    }

    /**
     * A partition's believed owner.
     *
     * @param group the owning group's key.
     * @param epoch the owner epoch.
     */
    record Owner(long group, long epoch)
    {
    }

    static final Leader UNKNOWN = new Leader(null, -1);

    /** Told when a group's believed leader gives way to another node. */
    @FunctionalInterface
    interface LeaderReplaced
    {
        /**
         * @param group    the group.
         * @param previous the node that was believed to lead it.
         */
        void replaced(long group, String previous);
    }

    private volatile LeaderReplaced onReplaced = (group, previous) -> { };

    private final AtomicReferenceArray<Owner> owners;
    private final AtomicReferenceArray<Hint> hints;
    private final AtomicReferenceArray<Avoided> avoided;
    private final java.util.function.LongSupplier clock;

    /**
     * A leader that said it does not serve a partition, not asked again for it until {@code untilNs}
     * (or until the table hears of a newer owner or leader).
     */
    private record Avoided(Leader leader, long untilNs)
    {
    }

    /**
     * A redirect's hint and when it came.
     *
     * @param nodeId the node named as serving the partition.
     * @param atNs   when the hint was heard.
     */
    private record Hint(String nodeId, long atNs)
    {
    }

    /**
     * How long a redirect's hint overrides the owner's leader. Long enough for gossip to spread the
     * claim that makes the hint true; after it, the claims are the better belief. Without a bound, a
     * hint outlived the hinted node's leadership for as long as nobody was redirected again: durable
     * agent messages, which get no redirect, went to that node for ever.
     */
    static final long HINT_NS = 2_000_000_000L;

    /** How long a partition avoids a leader that said it does not serve it. */
    static final long AVOID_NS = 1_000_000_000L;
    /**
     * How long a leader belief may go without any live member's gossip backing it before the claims
     * gossiped now replace it. Longer than gossip takes to spread a new leader's claim.
     */
    static final long UNBACKED_NS = 3_000_000_000L;
    private final Map<Long, Long> unbackedSinceNs = new ConcurrentHashMap<>();
    private final Map<Long, Leader> groupLeaders = new ConcurrentHashMap<>();
    private final Map<String, NodeMetadata> nodes = new ConcurrentHashMap<>();
    private final Map<Long, String> nodeIdsByKey = new ConcurrentHashMap<>();

    RoutingTable(final int partitionCount)
    {
        this(partitionCount, System::nanoTime);
    }

    RoutingTable(final int partitionCount, final java.util.function.LongSupplier clock)
    {
        this.clock = clock;
        owners = new AtomicReferenceArray<>(partitionCount);
        hints = new AtomicReferenceArray<>(partitionCount);
        avoided = new AtomicReferenceArray<>(partitionCount);
    }

    /**
     * @param partition a partition.
     * @return the node believed to serve it: a redirect's hint if one is pending, else the leader of
     * the owning group.
     */
    Leader leader(final int partition)
    {
        final Hint hint = hints.get(partition);
        if (hint != null)
        {
            if (clock.getAsLong() - hint.atNs() < HINT_NS)
            {
                return new Leader(hint.nodeId(), -1);
            }
            hints.compareAndSet(partition, hint, null);
        }
        final Owner owner = owners.get(partition);
        if (owner == null)
        {
            return UNKNOWN;
        }
        final Leader leader = groupLeader(owner.group());
        final Avoided avoid = avoided.get(partition);
        if (avoid != null && avoid.leader().equals(leader))
        {
            if (clock.getAsLong() - avoid.untilNs() < 0)
            {
                return new Leader(null, leader.term());
            }
            avoided.compareAndSet(partition, avoid, null);
        }
        return leader;
    }

    /**
     * @param listener told, on the thread that brought the news, when a group's believed leader
     *                 gives way to another node.
     */
    void onLeaderReplaced(final LeaderReplaced listener)
    {
        this.onReplaced = listener;
    }

    Owner owner(final int partition)
    {
        return owners.get(partition);
    }

    Leader groupLeader(final long group)
    {
        return groupLeaders.getOrDefault(group, UNKNOWN);
    }

    /**
     * A leader of a group, from a Raft event of a local replica or a gossip claim.
     *
     * @return true when the belief changed.
     */
    boolean observeLeader(final long group, final String nodeId, final long term)
    {
        while (true)
        {
            final Leader current = groupLeaders.get(group);
            if (current != null)
            {
                final boolean newer = term > current.term();
                final boolean fillsGap = term == current.term() && current.nodeId() == null && nodeId != null;
                final boolean unknownTerm = term < 0 && nodeId != null && current.nodeId() == null;
                if (!newer && !fillsGap && !unknownTerm)
                {
                    return false;
                }
                if (groupLeaders.replace(group, current, new Leader(nodeId, Math.max(term, current.term()))))
                {
                    if (current.nodeId() != null && nodeId != null && !current.nodeId().equals(nodeId))
                    {
                        onReplaced.replaced(group, current.nodeId());
                    }
                    return true;
                }
            }
            else if (groupLeaders.putIfAbsent(group, new Leader(nodeId, term)) == null)
            {
                return true;
            }
        }
    }

    /**
     * An owner of a partition at an epoch; a higher epoch replaces whatever was believed and any
     * pending redirect hint.
     */
    void observeOwner(final int partition, final long group, final long epoch)
    {
        while (true)
        {
            final Owner current = owners.get(partition);
            if (current != null && (epoch < current.epoch() || (epoch == current.epoch() && group == current.group())))
            {
                return;
            }
            if (owners.compareAndSet(partition, current, new Owner(group, epoch)))
            {
                hints.set(partition, null);
                avoided.set(partition, null);
                return;
            }
        }
    }

    /**
     * A node that was asked named another as the one serving the partition.
     */
    void observeHint(final int partition, final String nodeId)
    {
        hints.set(partition, new Hint(nodeId, clock.getAsLong()));
    }

    /**
     * A node that was asked does not serve the partition and named no one: stop sending the
     * partition there for a while ({@link #AVOID_NS}), or until the table hears of a newer owner or
     * of another leader of the owner. The node may still lead the group (the partition moved away
     * from it, or it is about to serve it), so the group's leader is left as it is for the group's
     * other partitions.
     */
    void forget(final int partition, final String nodeId)
    {
        final Hint hint = hints.get(partition);
        if (hint != null && hint.nodeId().equals(nodeId) && hints.compareAndSet(partition, hint, null))
        {
            return;
        }
        final Owner owner = owners.get(partition);
        if (owner != null)
        {
            final Leader leader = groupLeader(owner.group());
            if (nodeId.equals(leader.nodeId()))
            {
                avoided.set(partition, new Avoided(leader, clock.getAsLong() + AVOID_NS));
            }
        }
    }

    /**
     * Forgets a leader that stepped down (same term, so a newer claim still wins).
     */
    void forgetLeader(final long group, final String nodeId)
    {
        final Leader current = groupLeaders.get(group);
        if (current != null && nodeId.equals(current.nodeId()))
        {
            groupLeaders.replace(group, current, new Leader(null, current.term()));
        }
    }

    void nodeUp(final NodeMetadata node)
    {
        nodes.put(node.nodeId(), node);
        nodeIdsByKey.put(NodeKeys.of(node.nodeId()), node.nodeId());
        for (final GroupClaim claim : node.leads())
        {
            observeLeader(claim.group(), node.nodeId(), claim.term());
            for (int i = 0; i < claim.size(); i++)
            {
                observeOwner(claim.partitions()[i], claim.group(), claim.epochs()[i]);
            }
        }
    }

    /**
     * Settles the leader beliefs against what the live members gossip now. The highest term wins
     * only within one life of a group: a group retired and created again under the same key (its
     * home node came back afresh) starts again from term 1, and a belief from its earlier life
     * would outrank every claim of the new one for ever. So a belief that no live member's claim
     * backs (no claim of the group at its term or later) for {@link #UNBACKED_NS} gives way to the
     * best claim gossiped now, or to no belief when none is.
     *
     * @param members the live members, with their current claims.
     */
    void reconcileLeaders(final Collection<NodeMetadata> members)
    {
        final Map<Long, Leader> claimed = new java.util.HashMap<>();
        for (final NodeMetadata m : members)
        {
            for (final GroupClaim claim : m.leads())
            {
                claimed.merge(claim.group(), new Leader(m.nodeId(), claim.term()),
                    (a, b) -> a.term() >= b.term() ? a : b);
            }
        }
        final long nowNs = clock.getAsLong();
        for (final Map.Entry<Long, Leader> entry : groupLeaders.entrySet())
        {
            final long group = entry.getKey();
            final Leader belief = entry.getValue();
            final Leader claim = claimed.get(group);
            if (claim != null && claim.term() >= belief.term())
            {
                unbackedSinceNs.remove(group);
                continue;
            }
            final long since = unbackedSinceNs.computeIfAbsent(group, k -> nowNs);
            if (nowNs - since < UNBACKED_NS)
            {
                continue;
            }
            unbackedSinceNs.remove(group);
            if (claim != null)
            {
                groupLeaders.replace(group, belief, claim);
            }
            else
            {
                groupLeaders.remove(group, belief);
            }
        }
        unbackedSinceNs.keySet().retainAll(groupLeaders.keySet());
    }

    void nodeDown(final NodeMetadata node)
    {
        nodes.remove(node.nodeId());
        for (final Map.Entry<Long, Leader> entry : groupLeaders.entrySet())
        {
            forgetLeader(entry.getKey(), node.nodeId());
        }
        for (int p = 0; p < hints.length(); p++)
        {
            final Hint hint = hints.get(p);
            if (hint != null && hint.nodeId().equals(node.nodeId()))
            {
                hints.compareAndSet(p, hint, null);
            }
        }
    }

    NodeMetadata node(final String nodeId)
    {
        return nodeId == null ? null : nodes.get(nodeId);
    }

    String nodeIdOf(final long nodeKey)
    {
        return nodeIdsByKey.get(nodeKey);
    }

    void rememberNodeId(final String nodeId)
    {
        nodeIdsByKey.put(NodeKeys.of(nodeId), nodeId);
    }

    Collection<NodeMetadata> nodes()
    {
        return nodes.values();
    }

    int partitionCount()
    {
        return owners.length();
    }
}
