package io.rookery.node;

import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

import io.rookery.api.AgentId;
import io.rookery.raft.LogEntry;

/**
 * Exactly-once messaging state of one partition while its node leads it: the outbox of durable
 * messages this partition sent (per target partition: next sequence, messages not yet
 * acknowledged) and the inbox high-water marks of the partitions that send to it.
 * <p>
 * Everything here mirrors keys of the partition's range and changes only together with them in
 * the same log entry; on any doubt (leadership change, failed entry) it is dropped and
 * {@link #load() reloaded} from the committed store. Driven by the partition loop's thread only.
 */
final class PartitionMessaging
{
    /**
     * Messages to one target partition.
     */
    static final class Outbox
    {
        long nextSequence = 1;
        long lastSendNs;
        final TreeMap<Long, OutboxMessage> unacked = new TreeMap<>();
    }

    /**
     * What this partition consumed from one source partition.
     */
    static final class Inbox
    {
        long accepted;
        long committed;
        /** The highest {@link Fences fence} of the source partition heard from: older leaders are stale. */
        long highestSourceFence = -1;
    }

    /**
     * What to do with an incoming durable message.
     */
    enum Acceptance
    {
        /** The next one in sequence: run it as a turn. */
        ACCEPT,
        /** Consumed and committed before: acknowledge again, do not run. */
        DUPLICATE,
        /** Consumed, its turn not committed yet: the acknowledgement follows the commit. */
        PENDING,
        /** An earlier message is missing: drop it, the source resends in order. */
        GAP,
        /** From a leader of the source partition older (by its fence) than one already heard from. */
        STALE
    }

    private static final boolean SKIP_DEDUP = FaultInjection.enabled(FaultInjection.SKIP_INBOX_DEDUP);

    private final int partition;
    private final PartitionStore store;
    private final Map<Integer, Outbox> outboxes = new TreeMap<>();
    private final Map<Integer, Inbox> inboxes = new HashMap<>();
    private int unackedTotal;

    PartitionMessaging(final PartitionStore store)
    {
        this.partition = store.partition();
        this.store = store;
    }

    void clear()
    {
        outboxes.clear();
        inboxes.clear();
        unackedTotal = 0;
    }

    /**
     * Rebuilds the outbox from the committed store; every unacknowledged message will be resent.
     */
    void load()
    {
        clear();
        store.scan(new byte[] {KeySpaces.OUTBOX_NEXT}, (key, value) ->
        {
            final int target = ((key[1] & 0xFF) << 8) | (key[2] & 0xFF);
            outbox(target).nextSequence = KeySpaces.u64(value);
            return true;
        });
        store.scan(new byte[] {KeySpaces.OUTBOX}, (key, value) ->
        {
            final int target = ((key[1] & 0xFF) << 8) | (key[2] & 0xFF);
            final long sequence = java.nio.ByteBuffer.wrap(key, 3, 8).getLong();
            outbox(target).unacked.put(sequence, OutboxMessage.decode(target, sequence, value));
            unackedTotal++;
            return true;
        });
    }

    int unackedTotal()
    {
        return unackedTotal;
    }

    /**
     * Adds a message to the outbox, its write to the entry being built.
     */
    OutboxMessage append(
        final LogEntry entry,
        final AgentId sender,
        final AgentId target,
        final int targetPartition,
        final boolean expectsReply,
        final byte[] payload)
    {
        final Outbox outbox = outbox(targetPartition);
        final long sequence = outbox.nextSequence++;
        final OutboxMessage message =
            new OutboxMessage(targetPartition, sequence, sender, target, expectsReply, payload);
        outbox.unacked.put(sequence, message);
        unackedTotal++;
        entry.put(partition, KeySpaces.outboxKey(targetPartition, sequence), message.encode());
        entry.put(partition, KeySpaces.outboxNextKey(targetPartition), KeySpaces.u64(outbox.nextSequence));
        return message;
    }

    void sent(final OutboxMessage message, final long nowNs)
    {
        outbox(message.targetPartition).lastSendNs = nowNs;
    }

    /**
     * Drops acknowledged messages, their deletes going into the entry being built.
     *
     * @return how many were acknowledged by this ack.
     */
    int acknowledge(final int targetPartition, final long sequence, final LogEntry entry)
    {
        final Outbox outbox = outboxes.get(targetPartition);
        if (outbox == null)
        {
            return 0;
        }
        int acked = 0;
        final Iterator<OutboxMessage> it = outbox.unacked.headMap(sequence, true).values().iterator();
        while (it.hasNext())
        {
            final OutboxMessage message = it.next();
            if (!message.committed)
            {
                break;
            }
            it.remove();
            entry.delete(partition, KeySpaces.outboxKey(targetPartition, message.sequence));
            acked++;
        }
        unackedTotal -= acked;
        return acked;
    }

    /**
     * Calls {@code resend} with the oldest committed unacknowledged messages of every target that
     * has not been sent to for {@code afterNs}, in sequence order.
     */
    int resendDue(final long nowNs, final long afterNs, final int maxPerTarget, final Consumer<OutboxMessage> resend)
    {
        int resent = 0;
        for (final Outbox outbox : outboxes.values())
        {
            if (outbox.unacked.isEmpty() || nowNs - outbox.lastSendNs < afterNs)
            {
                continue;
            }
            int count = 0;
            for (final OutboxMessage message : outbox.unacked.values())
            {
                if (!message.committed || count++ >= maxPerTarget)
                {
                    break;
                }
                resend.accept(message);
                resent++;
            }
            outbox.lastSendNs = nowNs;
        }
        return resent;
    }

    /**
     * Decides what to do with a durable message from another (or this) partition.
     */
    Acceptance accept(final int source, final long sequence, final long sourceFence)
    {
        final Inbox inbox = inbox(source);
        if (sourceFence >= 0 && sourceFence < inbox.highestSourceFence)
        {
            return Acceptance.STALE;
        }
        inbox.highestSourceFence = Math.max(inbox.highestSourceFence, sourceFence);
        if (sequence <= inbox.committed && !SKIP_DEDUP)
        {
            return Acceptance.DUPLICATE;
        }
        if (sequence <= inbox.accepted && !SKIP_DEDUP)
        {
            return Acceptance.PENDING;
        }
        if (SKIP_DEDUP && sequence <= inbox.accepted)
        {
            return Acceptance.ACCEPT;
        }
        return sequence == inbox.accepted + 1 ? Acceptance.ACCEPT : Acceptance.GAP;
    }

    /**
     * Records the consumption of an accepted message, its write going into the entry being built.
     */
    void consumed(final int source, final long sequence, final LogEntry entry)
    {
        final Inbox inbox = inbox(source);
        inbox.accepted = Math.max(inbox.accepted, sequence);
        entry.put(partition, KeySpaces.inboxKey(source), KeySpaces.u64(inbox.accepted));
    }

    void committedConsumption(final int source, final long sequence)
    {
        final Inbox inbox = inbox(source);
        inbox.committed = Math.max(inbox.committed, sequence);
    }

    long committedConsumption(final int source)
    {
        return inbox(source).committed;
    }

    /**
     * @return the outboxes (target partition to next sequence and the sequences not acknowledged)
     * and the inboxes (source partition to accepted, committed and highest fence), for diagnostics.
     */
    Map<String, Object> describe()
    {
        final Map<String, Object> out = new java.util.LinkedHashMap<>();
        final Map<String, Object> outgoing = new java.util.TreeMap<>();
        outboxes.forEach((target, outbox) -> outgoing.put(Integer.toString(target), Map.of(
            "next", outbox.nextSequence, "unacked", List.copyOf(outbox.unacked.keySet()))));
        final Map<String, Object> incoming = new java.util.TreeMap<>();
        inboxes.forEach((source, inbox) -> incoming.put(Integer.toString(source), Map.of(
            "accepted", inbox.accepted, "committed", inbox.committed, "fence", inbox.highestSourceFence)));
        out.put("outboxes", outgoing);
        out.put("inboxes", incoming);
        return out;
    }

    private Inbox inbox(final int source)
    {
        Inbox inbox = inboxes.get(source);
        if (inbox == null)
        {
            inbox = new Inbox();
            final byte[] stored = store.get(KeySpaces.inboxKey(source));
            inbox.committed = stored == null ? 0 : KeySpaces.u64(stored);
            inbox.accepted = inbox.committed;
            inboxes.put(source, inbox);
        }
        return inbox;
    }

    private Outbox outbox(final int target)
    {
        return outboxes.computeIfAbsent(target, t -> new Outbox());
    }
}
