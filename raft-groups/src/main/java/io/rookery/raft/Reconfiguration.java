package io.rookery.raft;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.protocol.TransferLeadershipRequest;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.RaftConfiguration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Changes of a group's members and leader, apart from the data path: reading a group's
 * configuration, changing its members (compare-and-set, so a change computed from a stale view
 * fails instead of undoing a newer one), handing its leadership over, and creating or removing a
 * replica on another node. Called by the placement logic of the node that leads the group.
 */
public final class Reconfiguration
{
    private static final Logger LOG = LoggerFactory.getLogger(Reconfiguration.class);
    private static final long TRANSFER_GRACE_MS = 1_000;

    private final RaftGroups groups;

    Reconfiguration(final RaftGroups groups)
    {
        this.groups = groups;
    }

    /**
     * A group's configuration as this node's replica knows it.
     *
     * @param peers        node id to Raft address of the current members.
     * @param transitional whether a configuration change is in progress (joint consensus).
     * @param index        log index of the configuration entry.
     */
    public record Configuration(Map<String, String> peers, boolean transitional, long index)
    {
    }

    /**
     * @param group a group's key.
     * @return its configuration, or empty when this node does not host it.
     */
    public Optional<Configuration> configuration(final long group)
    {
        if (!groups.hosts(group))
        {
            return Optional.empty();
        }
        try
        {
            final RaftConfiguration conf = groups.server().getDivision(groups.raftGroupId(group)).getRaftConf();
            final Map<String, String> peers = new LinkedHashMap<>();
            for (final RaftPeer peer : conf.getCurrentPeers())
            {
                peers.put(peer.getId().toString(), peer.getAddress());
            }
            return Optional.of(new Configuration(peers, !conf.getPreviousPeers().isEmpty(), conf.getLogEntryIndex()));
        }
        catch (final IOException | IllegalStateException ex)
        {
            return Optional.empty();
        }
    }

    /**
     * Changes the members of a group this node leads, if its configuration still is {@code current}.
     * Ratis catches new members up (by log or snapshot) before the new configuration commits.
     *
     * @param group   the group's key.
     * @param current the members the change is computed from.
     * @param next    the members after the change.
     * @return completes when the new configuration is committed, or fails.
     */
    public CompletableFuture<Void> changeReplicas(
        final long group, final Map<String, String> current, final Map<String, String> next)
    {
        final SetConfigurationRequest.Arguments arguments = SetConfigurationRequest.Arguments.newBuilder()
            .setServersInCurrentConf(peers(current))
            .setServersInNewConf(peers(next))
            .setMode(SetConfigurationRequest.Mode.COMPARE_AND_SET)
            .build();
        try
        {
            return groups.server().setConfigurationAsync(new SetConfigurationRequest(
                    groups.clientId(), groups.peerId(), groups.raftGroupId(group), groups.nextCallId(), arguments))
                .thenApply(Reconfiguration::requireSuccess);
        }
        catch (final IOException ex)
        {
            return CompletableFuture.failedFuture(ex);
        }
    }

    /**
     * Hands the leadership of a group this node leads to another member.
     *
     * @param group   the group's key.
     * @param nodeId  the member to lead next.
     * @param timeout how long the transfer may take.
     * @return completes when the other member leads, or fails.
     */
    public CompletableFuture<Void> transferLeadership(final long group, final String nodeId, final Duration timeout)
    {
        // Ratis times a transfer out itself, but not every path of it completes its future (one
        // stuck for good held a caller for an hour); a transfer always ends by twice its timeout.
        return requestTransfer(group, RaftPeerId.valueOf(nodeId), timeout)
            .thenCompose(reply -> leftSteppingDown(reply) ?
                stepDown(group, timeout).thenApply(ignored -> reply) : CompletableFuture.completedFuture(reply))
            .thenApply(Reconfiguration::requireSuccess)
            .orTimeout(2 * timeout.toMillis() + TRANSFER_GRACE_MS, TimeUnit.MILLISECONDS);
    }

    /**
     * Asks this node's replica of a group to hand its leadership to {@code newLeader}, or to step down
     * when it is null.
     */
    private CompletableFuture<RaftClientReply> requestTransfer(
        final long group, final RaftPeerId newLeader, final Duration timeout)
    {
        try
        {
            return groups.server().transferLeadershipAsync(new TransferLeadershipRequest(groups.clientId(),
                groups.peerId(), groups.raftGroupId(group), groups.nextCallId(), newLeader, timeout.toMillis()));
        }
        catch (final IOException ex)
        {
            return CompletableFuture.failedFuture(ex);
        }
    }

    /**
     * Whether a failed transfer left this leader refusing every write. Ratis 3.3 marks the leader
     * as stepping down when a transfer starts and clears the mark on the transfer's timeout or on
     * the next election; a transfer that fails at once (the transferee's StartLeaderElection call
     * failed immediately, as it does to a peer that just died, or it has no log appender) never
     * gets a timeout, so the leader would refuse writes and reconfigurations for good.
     */
    private static boolean leftSteppingDown(final RaftClientReply reply)
    {
        if (reply.isSuccess() || reply.getException() == null)
        {
            return false;
        }
        final String message = String.valueOf(reply.getException().getMessage());
        return message.contains("): COMPLETED_EXCEPTIONALLY") || message.contains("): NULL_LOG_APPENDER") ||
            message.contains("): NULL_FOLLOWER");
    }

    /**
     * Steps this leader down (a new election follows), which is the one way to clear Ratis's
     * stepping-down mark without a timeout.
     */
    private CompletableFuture<Void> stepDown(final long group, final Duration timeout)
    {
        LOG.warn("group={} leadership transfer failed at once; stepping down so the group takes writes again",
            groups.label(group));
        return requestTransfer(group, null, timeout).handle((reply, ex) -> null);
    }

    /**
     * Creates an empty replica of a group on another node, so that it can be added to the group (or,
     * for a new group, so that it can elect). Already existing is fine.
     *
     * @param nodeId  the node.
     * @param address its Raft address.
     * @param group   the group's key.
     * @param peers   the members the group will have once the node is in it.
     * @throws IOException when the node refuses or cannot be reached.
     */
    public void createRemoteReplica(
        final String nodeId, final String address, final long group, final Map<String, String> peers)
        throws IOException
    {
        final RaftPeer target = RaftPeer.newBuilder().setId(nodeId).setAddress(address).build();
        try (RaftClient client = adminClient(target, group))
        {
            // Recover rather than format: a directory left by an earlier membership of this group
            // holds a prefix of the same committed history, which Raft catches up (by log or
            // snapshot) like any lagging replica.
            final RaftClientReply reply = client.getGroupManagementApi(target.getId())
                .add(RaftGroup.valueOf(groups.raftGroupId(group), peers(peers)), false);
            if (!reply.isSuccess() && !String.valueOf(reply.getException()).contains("already exists"))
            {
                throw new IOException("creating the replica of group " + groups.label(group) + " on " + nodeId +
                    " failed: " + reply.getException());
            }
        }
        catch (final IOException ex)
        {
            if (!String.valueOf(ex.getMessage()).contains("already exists"))
            {
                throw ex;
            }
        }
    }

    /**
     * Removes a node's replica of a group (after the group no longer counts it as a member, or when
     * the group is retired), deleting its log and clearing its key range.
     *
     * @param nodeId  the node, possibly this one.
     * @param address its Raft address.
     * @param group   the group's key.
     * @throws IOException when the node refuses or cannot be reached.
     */
    public void removeReplica(final String nodeId, final String address, final long group) throws IOException
    {
        if (nodeId.equals(groups.nodeId()))
        {
            groups.removeLocalReplica(group);
            return;
        }
        final RaftPeer target = RaftPeer.newBuilder().setId(nodeId).setAddress(address).build();
        try (RaftClient client = adminClient(target, group))
        {
            final RaftClientReply reply = client.getGroupManagementApi(target.getId())
                .remove(groups.raftGroupId(group), true, false);
            if (!reply.isSuccess())
            {
                throw new IOException("removing the replica of group " + groups.label(group) + " from " + nodeId +
                    " failed: " + reply.getException());
            }
        }
    }

    private RaftClient adminClient(final RaftPeer target, final long group)
    {
        final RaftProperties properties = new RaftProperties();
        RaftClientConfigKeys.Rpc.setRequestTimeout(properties, RaftGroups.millis(groups.requestTimeout()));
        return RaftClient.newBuilder()
            .setProperties(properties)
            .setParameters(groups.parameters())
            .setClientId(ClientId.randomId())
            .setRaftGroup(RaftGroup.valueOf(groups.raftGroupId(group), target))
            .setRetryPolicy(RetryPolicies.noRetry())
            .build();
    }

    static List<RaftPeer> peers(final Map<String, String> members)
    {
        final List<RaftPeer> peers = new ArrayList<>();
        members.forEach((id, address) -> peers.add(RaftPeer.newBuilder().setId(id).setAddress(address).build()));
        return peers;
    }

    private static Void requireSuccess(final RaftClientReply reply)
    {
        if (!reply.isSuccess())
        {
            throw new CompletionException(reply.getException() != null ? reply.getException() :
                new IOException("request failed: " + reply));
        }
        return null;
    }
}
