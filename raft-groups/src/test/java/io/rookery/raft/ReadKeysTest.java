package io.rookery.raft;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Linearizable read requests: one key of one partition.
 */
class ReadKeysTest
{
    @Test
    void partitionAndKeyRoundTrip()
    {
        final byte[] key = "\u0001agent/\u00e9".getBytes(StandardCharsets.UTF_8);

        assertThat(ReadKeys.decode(ReadKeys.encode(7, key)).key()).isEqualTo(key);
        assertThat(ReadKeys.decode(ReadKeys.encode(7, key)).partition()).isEqualTo(7);
        assertThat(ReadKeys.decode(ReadKeys.encode(0, new byte[0])).key()).isEmpty();
        assertThat(ReadKeys.decode(ReadKeys.encode(65534, key)).partition()).isEqualTo(65534);
    }

    @Test
    void aLogEntryOrGarbageIsNotAReadRequest()
    {
        final byte[] entry = new LogEntry(1).put(2, new byte[] {1}, new byte[] {2}).encode();

        assertThatThrownBy(() -> ReadKeys.decode(entry))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a read request");
        assertThatThrownBy(() -> ReadKeys.decode(new byte[3]))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a read request");
    }
}
