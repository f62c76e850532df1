package io.rookery.raft;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.rookery.raft.codecs.ControlType;
import io.rookery.raft.codecs.GroupEntryDecoder;
import io.rookery.raft.codecs.GroupEntryEncoder;
import io.rookery.raft.codecs.MessageHeaderDecoder;
import io.rookery.raft.codecs.MessageHeaderEncoder;
import io.rookery.raft.codecs.OpType;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * One Raft log entry of a group: the writes of a batch of turns over any of the group's partitions,
 * the group's control steps (genesis, handoff steps, retirement), and the term of the leader that
 * computed them. Built by the group's leader, applied by every replica.
 * <p>
 * An entry is applied atomically, so only the last write to each key matters: the entry keeps
 * that one, and encodes its writes in (partition, key) order. A batch that touches an agent many
 * times (a hot counter) logs, replicates and applies its state once, not once per turn. Writes are
 * applied before control steps, so a partition sealed by an entry keeps the writes of the turns
 * batched with its seal.
 */
public final class LogEntry
{
    /** Most writes (or control steps) one entry can carry: SBE reserves 65535, a uint16 group's null value. */
    public static final int MAX_OPS = 65534;

    private static final int OP_OVERHEAD = GroupEntryEncoder.OpsEncoder.sbeBlockLength() + 4 + 4;
    private static final int CONTROL_OVERHEAD = GroupEntryEncoder.ControlsEncoder.sbeBlockLength() + 4;
    private static final int FIXED_OVERHEAD = MessageHeaderEncoder.ENCODED_LENGTH + GroupEntryEncoder.BLOCK_LENGTH +
        GroupEntryEncoder.OpsEncoder.HEADER_SIZE + GroupEntryEncoder.ControlsEncoder.HEADER_SIZE;
    /** Stands for a delete among the values; compared by identity, so no value can be mistaken for it. */
    private static final byte[] DELETE = new byte[0];

    private final long leaderTerm;
    private final TreeMap<WriteKey, byte[]> writes = new TreeMap<>();
    private final List<Control> controls = new ArrayList<>();
    private int encodedLength = FIXED_OVERHEAD;

    /**
     * @param leaderTerm term of the leader computing the entry.
     */
    public LogEntry(final long leaderTerm)
    {
        this.leaderTerm = leaderTerm;
    }

    /** @return term of the leader that computed the entry. */
    public long leaderTerm()
    {
        return leaderTerm;
    }

    /**
     * @param partition a partition the group owns.
     * @param key       key within the partition.
     * @param value     new value.
     * @return this.
     */
    public LogEntry put(final int partition, final byte[] key, final byte[] value)
    {
        write(partition, key, value);
        return this;
    }

    /**
     * @param partition a partition the group owns.
     * @param key       key within the partition to delete.
     * @return this.
     */
    public LogEntry delete(final int partition, final byte[] key)
    {
        write(partition, key, DELETE);
        return this;
    }

    /**
     * Names a new group and gives it its first partitions; applied only to a group without a name.
     *
     * @param name       the group's name (its home node's id).
     * @param partitions partitions the group owns from the start, at {@link Ownership#FIRST_EPOCH}.
     * @return this.
     */
    public LogEntry genesis(final String name, final Collection<Integer> partitions)
    {
        final byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        final ByteBuffer data = ByteBuffer.allocate(2 + nameBytes.length + 4 + 2 * partitions.size());
        data.putShort((short)nameBytes.length).put(nameBytes).putInt(partitions.size());
        partitions.forEach(p -> data.putShort((short)(int)p));
        return control(new Control(ControlType.GENESIS, 0, Ownership.FIRST_EPOCH, 0, 0, false, data.array()));
    }

    /**
     * Stops a partition's turns here; applied when the group owns it at an epoch below {@code epoch}.
     *
     * @param partition the partition.
     * @param epoch     the handoff's epoch, the owner's epoch + 1.
     * @param target    the group it goes to.
     * @return this.
     */
    public LogEntry seal(final int partition, final long epoch, final long target)
    {
        return control(new Control(ControlType.SEAL, partition, epoch, target, 0, false, DELETE));
    }

    /**
     * One chunk of a partition's range, sent by the source group of a handoff.
     *
     * @param partition the partition.
     * @param epoch     the handoff's epoch.
     * @param source    the group it comes from.
     * @param chunk     the chunk's number, from 0 (which starts the adoption over).
     * @param last      whether this chunk completes the range; the group owns the partition after it.
     * @param data      the chunk, as {@link RangeChunks} encodes it.
     * @return this.
     */
    public LogEntry adopt(
        final int partition,
        final long epoch,
        final long source,
        final int chunk,
        final boolean last,
        final byte[] data)
    {
        return control(new Control(ControlType.ADOPT, partition, epoch, source, chunk, last, data));
    }

    /**
     * Deletes a sealed partition's range once its target owns it.
     *
     * @param partition the partition.
     * @param epoch     the handoff's epoch.
     * @return this.
     */
    public LogEntry release(final int partition, final long epoch)
    {
        return control(new Control(ControlType.RELEASE, partition, epoch, 0, 0, false, DELETE));
    }

    /**
     * Retires the group: applied when it holds no partition in any state but released.
     *
     * @return this.
     */
    public LogEntry retire()
    {
        return control(new Control(ControlType.RETIRE, 0, 0, 0, 0, false, DELETE));
    }

    /** @return number of keys written (a key written twice counts once). */
    public int size()
    {
        return writes.size();
    }

    /** @return number of control steps. */
    public int controlCount()
    {
        return controls.size();
    }

    /** @return whether the entry carries nothing. */
    public boolean isEmpty()
    {
        return writes.isEmpty() && controls.isEmpty();
    }

    /** @return bytes {@link #encode()} will produce. */
    public int encodedLength()
    {
        return encodedLength;
    }

    /**
     * @return the SBE encoding of the entry.
     * @throws IllegalStateException when the entry holds more than {@link #MAX_OPS} writes or controls.
     */
    public byte[] encode()
    {
        if (writes.size() > MAX_OPS || controls.size() > MAX_OPS)
        {
            throw new IllegalStateException("log entry with " + writes.size() + " writes and " + controls.size() +
                " controls, more than " + MAX_OPS);
        }
        final byte[] bytes = new byte[encodedLength];
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        final GroupEntryEncoder encoder = new GroupEntryEncoder()
            .wrapAndApplyHeader(buffer, 0, new MessageHeaderEncoder())
            .leaderTerm(leaderTerm);
        final GroupEntryEncoder.OpsEncoder ops = encoder.opsCount(writes.size());
        for (final Map.Entry<WriteKey, byte[]> write : writes.entrySet())
        {
            final byte[] key = write.getKey().key;
            final byte[] value = write.getValue();
            ops.next().partition(write.getKey().partition).op(value == DELETE ? OpType.DELETE : OpType.PUT);
            ops.putKey(key, 0, key.length);
            ops.putValue(value, 0, value == DELETE ? 0 : value.length);
        }
        final GroupEntryEncoder.ControlsEncoder out = encoder.controlsCount(controls.size());
        for (final Control c : controls)
        {
            out.next().step(c.type()).partition(c.partition()).epoch(c.epoch()).peerGroup(c.peerGroup())
                .chunk(c.chunk()).last((short)(c.last() ? 1 : 0));
            out.putData(c.data(), 0, c.data().length);
        }
        final int length = MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
        return length == bytes.length ? bytes : Arrays.copyOf(bytes, length);
    }

    private LogEntry control(final Control control)
    {
        controls.add(control);
        encodedLength += CONTROL_OVERHEAD + control.data().length;
        return this;
    }

    private void write(final int partition, final byte[] key, final byte[] value)
    {
        final byte[] previous = writes.put(new WriteKey(partition, key), value);
        if (previous != null)
        {
            encodedLength -= OP_OVERHEAD + key.length + previous.length;
        }
        encodedLength += OP_OVERHEAD + key.length + value.length;
    }

    /**
     * Decodes an entry for a visitor: its writes first, in order, then its control steps.
     *
     * @param bytes   the encoded entry.
     * @param visitor receives what the entry carries.
     * @return the term of the leader that computed the entry.
     * @throws IllegalStateException when the bytes are not an entry: a broken invariant, never bad
     *                               input, since only leaders write entries.
     */
    public static long decode(final byte[] bytes, final Visitor visitor)
    {
        try
        {
            return decodeEntry(bytes, visitor);
        }
        catch (final IndexOutOfBoundsException | IllegalArgumentException ex)
        {
            throw new IllegalStateException(
                "malformed log entry of " + bytes.length + " bytes: " + ex.getMessage(), ex);
        }
    }

    private static long decodeEntry(final byte[] bytes, final Visitor visitor)
    {
        final GroupEntryDecoder decoder = wrap(bytes);
        final long term = decoder.leaderTerm();
        visitor.begin(term);
        for (final GroupEntryDecoder.OpsDecoder op : decoder.ops())
        {
            final int partition = op.partition();
            final OpType type = op.op();
            final byte[] key = new byte[fits(op.keyLength(), bytes)];
            op.getKey(key, 0, key.length);
            final byte[] value = new byte[fits(op.valueLength(), bytes)];
            op.getValue(value, 0, value.length);
            if (type == OpType.PUT)
            {
                visitor.put(partition, key, value);
            }
            else if (type == OpType.DELETE)
            {
                visitor.delete(partition, key);
            }
            else
            {
                throw new IllegalStateException("unknown op " + type + " in log entry");
            }
        }
        for (final GroupEntryDecoder.ControlsDecoder c : decoder.controls())
        {
            final ControlType type = c.step();
            final int partition = c.partition();
            final long epoch = c.epoch();
            final long peer = c.peerGroup();
            final int chunk = c.chunk();
            final boolean last = c.last() == 1;
            final byte[] data = new byte[fits(c.dataLength(), bytes)];
            c.getData(data, 0, data.length);
            if (type == ControlType.NULL_VAL)
            {
                throw new IllegalStateException("unknown control step in log entry");
            }
            visitor.control(new Control(type, partition, epoch, peer, chunk, last, data));
        }
        return term;
    }

    /**
     * @return a field length that the entry's bytes could hold, checked before anything is allocated.
     */
    private static int fits(final long length, final byte[] bytes)
    {
        if (length < 0 || length > bytes.length)
        {
            throw new IllegalStateException("field of " + length + " bytes in a log entry of " + bytes.length);
        }
        return (int)length;
    }

    /**
     * @param bytes encoded entry.
     * @return the term of the leader that computed it, without decoding the rest.
     */
    public static long leaderTermOf(final byte[] bytes)
    {
        try
        {
            return wrap(bytes).leaderTerm();
        }
        catch (final IndexOutOfBoundsException ex)
        {
            throw new IllegalStateException("malformed log entry of " + bytes.length + " bytes", ex);
        }
    }

    private static GroupEntryDecoder wrap(final byte[] bytes)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        if (bytes.length < MessageHeaderDecoder.ENCODED_LENGTH)
        {
            throw new IllegalStateException("log entry of " + bytes.length + " bytes is shorter than its header");
        }
        final MessageHeaderDecoder header = new MessageHeaderDecoder().wrap(buffer, 0);
        if (header.schemaId() != GroupEntryDecoder.SCHEMA_ID ||
            header.templateId() != GroupEntryDecoder.TEMPLATE_ID)
        {
            throw new IllegalStateException("log entry is not a GroupEntry: schema=" + header.schemaId() +
                " template=" + header.templateId() + " version=" + header.version());
        }
        return new GroupEntryDecoder().wrap(
            buffer, MessageHeaderDecoder.ENCODED_LENGTH, header.blockLength(), header.version());
    }

    /**
     * The name and first partitions a genesis step carries.
     *
     * @param name       the group's name.
     * @param partitions the partitions it owns from the start.
     */
    public record Genesis(String name, List<Integer> partitions)
    {
        static Genesis decode(final byte[] data)
        {
            try
            {
                final ByteBuffer buffer = ByteBuffer.wrap(data);
                final byte[] name = new byte[buffer.getShort() & 0xFFFF];
                buffer.get(name);
                final int count = buffer.getInt();
                if (count < 0 || count > buffer.remaining() / 2)
                {
                    throw new IllegalStateException(
                        count + " partitions do not fit in " + buffer.remaining() + " bytes");
                }
                final List<Integer> partitions = new ArrayList<>(count);
                for (int i = 0; i < count; i++)
                {
                    partitions.add(buffer.getShort() & 0xFFFF);
                }
                return new Genesis(new String(name, StandardCharsets.UTF_8), partitions);
            }
            catch (final java.nio.BufferUnderflowException ex)
            {
                throw new IllegalStateException("truncated genesis step of " + data.length + " bytes", ex);
            }
        }
    }

    /**
     * A control step of an entry.
     *
     * @param type      what it does.
     * @param partition the partition it is about (handoff steps).
     * @param epoch     the handoff's epoch.
     * @param peerGroup the handoff's other group.
     * @param chunk     an adopted chunk's number.
     * @param last      whether an adopted chunk is the last.
     * @param data      genesis content or an adopted chunk.
     */
    public record Control(
        ControlType type, int partition, long epoch, long peerGroup, int chunk, boolean last, byte[] data)
    {
    }

    /**
     * Receives what an entry carries, in order.
     */
    public interface Visitor
    {
        /**
         * @param leaderTerm term of the leader that computed the entry.
         */
        default void begin(final long leaderTerm)
        {
        }

        /**
         * @param partition partition written.
         * @param key       key within it.
         * @param value     new value.
         */
        void put(int partition, byte[] key, byte[] value);

        /**
         * @param partition partition written.
         * @param key       key deleted.
         */
        void delete(int partition, byte[] key);

        /**
         * @param control a control step, after every write of the entry.
         */
        void control(Control control);
    }

    private record WriteKey(int partition, byte[] key) implements Comparable<WriteKey>
    {
        public int compareTo(final WriteKey other)
        {
            final int byPartition = Integer.compare(partition, other.partition);
            return byPartition != 0 ? byPartition : Arrays.compareUnsigned(key, other.key);
        }

        public boolean equals(final Object o)
        {
            return o instanceof WriteKey other && partition == other.partition && Arrays.equals(key, other.key);
        }

        public int hashCode()
        {
            return 31 * partition + Arrays.hashCode(key);
        }
    }
}
