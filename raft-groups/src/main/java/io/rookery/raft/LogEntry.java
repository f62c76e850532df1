package io.rookery.raft;

import java.util.ArrayList;
import java.util.List;

import io.rookery.raft.codecs.MessageHeaderDecoder;
import io.rookery.raft.codecs.MessageHeaderEncoder;
import io.rookery.raft.codecs.OpType;
import io.rookery.raft.codecs.WriteBatchDecoder;
import io.rookery.raft.codecs.WriteBatchEncoder;
import io.rookery.storage.PartitionBatch;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * One Raft log entry of a partition: the writes of a batch of turns, and the term of the leader
 * that computed them. Built by the partition's leader, applied by every replica.
 */
public final class LogEntry
{
    /** Most writes one entry can carry: SBE reserves 65535, the null value of a uint16 group count. */
    public static final int MAX_OPS = 65534;

    private static final int OP_OVERHEAD = 1 + 4 + 4;
    private static final int FIXED_OVERHEAD =
        MessageHeaderEncoder.ENCODED_LENGTH + WriteBatchEncoder.BLOCK_LENGTH + WriteBatchEncoder.OpsEncoder.HEADER_SIZE;

    private final int partition;
    private final long leaderTerm;
    private final List<byte[]> keys = new ArrayList<>();
    private final List<byte[]> values = new ArrayList<>();
    private int encodedLength = FIXED_OVERHEAD;

    /**
     * @param partition  the partition written to.
     * @param leaderTerm term of the leader computing the entry.
     */
    public LogEntry(final int partition, final long leaderTerm)
    {
        this.partition = partition;
        this.leaderTerm = leaderTerm;
    }

    /** @return the partition written to. */
    public int partition()
    {
        return partition;
    }

    /** @return term of the leader that computed the entry. */
    public long leaderTerm()
    {
        return leaderTerm;
    }

    /**
     * @param key   key within the partition.
     * @param value new value.
     * @return this.
     */
    public LogEntry put(final byte[] key, final byte[] value)
    {
        keys.add(key);
        values.add(value);
        encodedLength += OP_OVERHEAD + key.length + value.length;
        return this;
    }

    /**
     * @param key key within the partition to delete.
     * @return this.
     */
    public LogEntry delete(final byte[] key)
    {
        keys.add(key);
        values.add(null);
        encodedLength += OP_OVERHEAD + key.length;
        return this;
    }

    /** @return number of writes. */
    public int size()
    {
        return keys.size();
    }

    /** @return bytes {@link #encode()} will produce. */
    public int encodedLength()
    {
        return encodedLength;
    }

    /**
     * @return the SBE encoding of the entry.
     * @throws IllegalStateException when the entry holds more than {@link #MAX_OPS} writes.
     */
    public byte[] encode()
    {
        if (keys.size() > MAX_OPS)
        {
            throw new IllegalStateException("log entry with " + keys.size() + " writes, more than " + MAX_OPS);
        }
        final byte[] bytes = new byte[encodedLength];
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        final WriteBatchEncoder encoder = new WriteBatchEncoder()
            .wrapAndApplyHeader(buffer, 0, new MessageHeaderEncoder())
            .partition(partition)
            .leaderTerm(leaderTerm);
        final WriteBatchEncoder.OpsEncoder ops = encoder.opsCount(keys.size());
        for (int i = 0, n = keys.size(); i < n; i++)
        {
            final byte[] value = values.get(i);
            ops.next().op(value == null ? OpType.DELETE : OpType.PUT);
            ops.putKey(keys.get(i), 0, keys.get(i).length);
            if (value == null)
            {
                ops.putValue(new byte[0], 0, 0);
            }
            else
            {
                ops.putValue(value, 0, value.length);
            }
        }
        final int length = MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
        if (length == bytes.length)
        {
            return bytes;
        }
        final byte[] exact = new byte[length];
        System.arraycopy(bytes, 0, exact, 0, length);
        return exact;
    }

    /**
     * Reads an encoded entry's header and copies its writes into a store batch.
     *
     * @param bytes encoded entry.
     * @param batch receives the writes; its partition must match the entry's.
     * @return the term of the leader that computed the entry.
     * @throws IllegalStateException when the bytes are not an entry of this partition: that is a
     *                               broken invariant, never bad input, since only leaders write entries.
     */
    public static long decodeInto(final byte[] bytes, final PartitionBatch batch)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        final MessageHeaderDecoder header = new MessageHeaderDecoder().wrap(buffer, 0);
        if (header.schemaId() != WriteBatchDecoder.SCHEMA_ID || header.templateId() != WriteBatchDecoder.TEMPLATE_ID)
        {
            throw new IllegalStateException("log entry is not a WriteBatch: schema=" + header.schemaId() +
                " template=" + header.templateId());
        }
        final WriteBatchDecoder decoder = new WriteBatchDecoder().wrap(
            buffer, MessageHeaderDecoder.ENCODED_LENGTH, header.blockLength(), header.version());
        if (decoder.partition() != batch.partition())
        {
            throw new IllegalStateException("log entry of partition " + decoder.partition() +
                " in the group of partition " + batch.partition());
        }
        final long term = decoder.leaderTerm();
        for (final WriteBatchDecoder.OpsDecoder op : decoder.ops())
        {
            final OpType type = op.op();
            final byte[] key = new byte[op.keyLength()];
            op.getKey(key, 0, key.length);
            final byte[] value = new byte[op.valueLength()];
            op.getValue(value, 0, value.length);
            if (type == OpType.PUT)
            {
                batch.put(key, value);
            }
            else if (type == OpType.DELETE)
            {
                batch.delete(key);
            }
            else
            {
                throw new IllegalStateException("unknown op " + type + " in log entry");
            }
        }
        return term;
    }

    /**
     * @param bytes encoded entry.
     * @return the term of the leader that computed it, without decoding the writes.
     */
    public static long leaderTermOf(final byte[] bytes)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        final MessageHeaderDecoder header = new MessageHeaderDecoder().wrap(buffer, 0);
        return new WriteBatchDecoder()
            .wrap(buffer, MessageHeaderDecoder.ENCODED_LENGTH, header.blockLength(), header.version())
            .leaderTerm();
    }
}
