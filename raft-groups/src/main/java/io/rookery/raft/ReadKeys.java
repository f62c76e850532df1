package io.rookery.raft;

import io.rookery.raft.codecs.MessageHeaderDecoder;
import io.rookery.raft.codecs.MessageHeaderEncoder;
import io.rookery.raft.codecs.ReadKeyDecoder;
import io.rookery.raft.codecs.ReadKeyEncoder;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The query message of a linearizable read: one key of one partition of a group.
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

    private ReadKeys()
    {
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
