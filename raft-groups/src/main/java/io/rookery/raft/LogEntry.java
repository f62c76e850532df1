package io.rookery.raft;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

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
 * <p>
 * An entry is applied atomically, so only the last write to each key matters: the entry keeps
 * that one, and encodes its writes in key order. A batch that touches an agent many times (a hot
 * counter) logs, replicates and applies its state once, not once per turn.
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
    /** Stands for a delete among the values; compared by identity, so no value can be mistaken for it. */
    private static final byte[] DELETE = new byte[0];

    private final TreeMap<byte[], byte[]> writes = new TreeMap<>(Arrays::compareUnsigned);
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
        write(key, value);
        return this;
    }

    /**
     * @param key key within the partition to delete.
     * @return this.
     */
    public LogEntry delete(final byte[] key)
    {
        write(key, DELETE);
        return this;
    }

    /** @return number of keys written (a key written twice counts once). */
    public int size()
    {
        return writes.size();
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
        if (writes.size() > MAX_OPS)
        {
            throw new IllegalStateException("log entry with " + writes.size() + " writes, more than " + MAX_OPS);
        }
        final byte[] bytes = new byte[encodedLength];
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        final WriteBatchEncoder encoder = new WriteBatchEncoder()
            .wrapAndApplyHeader(buffer, 0, new MessageHeaderEncoder())
            .partition(partition)
            .leaderTerm(leaderTerm);
        final WriteBatchEncoder.OpsEncoder ops = encoder.opsCount(writes.size());
        for (final Map.Entry<byte[], byte[]> write : writes.entrySet())
        {
            final byte[] key = write.getKey();
            final byte[] value = write.getValue();
            ops.next().op(value == DELETE ? OpType.DELETE : OpType.PUT);
            ops.putKey(key, 0, key.length);
            ops.putValue(value, 0, value == DELETE ? 0 : value.length);
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

    private void write(final byte[] key, final byte[] value)
    {
        final byte[] previous = writes.put(key, value);
        if (previous != null)
        {
            encodedLength -= OP_OVERHEAD + key.length + previous.length;
        }
        encodedLength += OP_OVERHEAD + key.length + value.length;
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
