package io.rookery.raft;

import io.rookery.raft.codecs.MessageHeaderDecoder;
import io.rookery.raft.codecs.MessageHeaderEncoder;
import io.rookery.raft.codecs.ReadKeyDecoder;
import io.rookery.raft.codecs.ReadKeyEncoder;
import io.rookery.raft.codecs.ScanKeysDecoder;
import io.rookery.raft.codecs.ScanKeysEncoder;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The query messages of linearizable reads: one key of one partition of a group, or a page of a
 * partition's keys under a prefix.
 */
final class ReadKeys
{
    /**
     * A decoded read.
     *
     * @param partition the partition.
     * @param key       the key within it.
     */
    record Read(int partition, byte[] key)
    {
    }

    /**
     * A decoded scan: the next page of a partition's keys under a prefix.
     *
     * @param partition  the partition.
     * @param prefix     the prefix the keys start with.
     * @param startAfter the last key of the previous page, or null for the first page.
     * @param limit      most pairs in the page.
     * @param maxBytes   the page ends once its keys and values reach this many bytes.
     */
    record Scan(int partition, byte[] prefix, byte[] startAfter, int limit, int maxBytes)
    {
    }

    private ReadKeys()
    {
    }

    static byte[] encodeScan(final int partition, final byte[] prefix, final byte[] startAfter, final int limit,
        final int maxBytes)
    {
        final byte[] after = startAfter == null ? new byte[0] : startAfter;
        final byte[] bytes = new byte[MessageHeaderEncoder.ENCODED_LENGTH + ScanKeysEncoder.BLOCK_LENGTH +
            ScanKeysEncoder.prefixHeaderLength() + prefix.length + ScanKeysEncoder.startAfterHeaderLength() +
            after.length];
        new ScanKeysEncoder()
            .wrapAndApplyHeader(new UnsafeBuffer(bytes), 0, new MessageHeaderEncoder())
            .partition(partition)
            .maxPairs(limit)
            .maxBytes(maxBytes)
            .putPrefix(prefix, 0, prefix.length)
            .putStartAfter(after, 0, after.length);
        return bytes;
    }

    /**
     * @param bytes a query message.
     * @return a {@link Read} or a {@link Scan}.
     * @throws IllegalArgumentException when the bytes are neither.
     */
    static Object decodeQuery(final byte[] bytes)
    {
        if (bytes.length >= MessageHeaderDecoder.ENCODED_LENGTH)
        {
            final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
            final MessageHeaderDecoder header = new MessageHeaderDecoder().wrap(buffer, 0);
            if (header.schemaId() == ScanKeysDecoder.SCHEMA_ID && header.templateId() == ScanKeysDecoder.TEMPLATE_ID)
            {
                final ScanKeysDecoder decoder = new ScanKeysDecoder()
                    .wrap(buffer, MessageHeaderDecoder.ENCODED_LENGTH, header.blockLength(), header.version());
                final int partition = decoder.partition();
                final int limit = decoder.maxPairs();
                final int maxBytes = decoder.maxBytes();
                final byte[] prefix = new byte[decoder.prefixLength()];
                decoder.getPrefix(prefix, 0, prefix.length);
                final byte[] after = new byte[decoder.startAfterLength()];
                decoder.getStartAfter(after, 0, after.length);
                return new Scan(partition, prefix, after.length == 0 ? null : after, limit, maxBytes);
            }
        }
        return decode(bytes);
    }

    static byte[] encode(final int partition, final byte[] key)
    {
        final byte[] bytes = new byte[MessageHeaderEncoder.ENCODED_LENGTH + ReadKeyEncoder.BLOCK_LENGTH +
            ReadKeyEncoder.keyHeaderLength() + key.length];
        new ReadKeyEncoder()
            .wrapAndApplyHeader(new UnsafeBuffer(bytes), 0, new MessageHeaderEncoder())
            .partition(partition)
            .putKey(key, 0, key.length);
        return bytes;
    }

    static Read decode(final byte[] bytes)
    {
        if (bytes.length < MessageHeaderDecoder.ENCODED_LENGTH + ReadKeyDecoder.BLOCK_LENGTH)
        {
            throw new IllegalArgumentException("not a read request: " + bytes.length + " bytes");
        }
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        final MessageHeaderDecoder header = new MessageHeaderDecoder().wrap(buffer, 0);
        if (header.schemaId() != ReadKeyDecoder.SCHEMA_ID || header.templateId() != ReadKeyDecoder.TEMPLATE_ID)
        {
            throw new IllegalArgumentException("not a read request");
        }
        final ReadKeyDecoder decoder = new ReadKeyDecoder()
            .wrap(buffer, MessageHeaderDecoder.ENCODED_LENGTH, header.blockLength(), header.version());
        final byte[] key = new byte[decoder.keyLength()];
        decoder.getKey(key, 0, key.length);
        return new Read(decoder.partition(), key);
    }
}
