package io.rookery.raft;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Linearizable read requests: one key of one partition, refused by any other partition's group.
 */
class ReadKeysTest
{
    @Test
    void keyRoundTrips()
    {
        final byte[] key = "\u0001agent/\u00e9".getBytes(StandardCharsets.UTF_8);

        assertThat(ReadKeys.decode(ReadKeys.encode(7, key), 7)).isEqualTo(key);
        assertThat(ReadKeys.decode(ReadKeys.encode(0, new byte[0]), 0)).isEmpty();
        assertThat(ReadKeys.decode(ReadKeys.encode(65535, key), 65535)).isEqualTo(key);
    }

    @Test
    void aReadOfAnotherPartitionIsRefused()
    {
        final byte[] request = ReadKeys.encode(2, new byte[] {1, 2});

        assertThatThrownBy(() -> ReadKeys.decode(request, 3))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("read of partition 2 sent to the group of partition 3");
    }

    @Test
    void aLogEntryIsNotAReadRequest()
    {
        final byte[] entry = new LogEntry(2, 1).put(new byte[] {1}, new byte[] {2}).encode();

        assertThatThrownBy(() -> ReadKeys.decode(entry, 2))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("not a read request");
    }
}
