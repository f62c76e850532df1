package io.rookery.raft;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import io.rookery.raft.codecs.ControlType;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Log entries: what a leader encodes is exactly what every replica decodes, writes before control
 * steps, the last write per key, in (partition, key) order.
 */
class LogEntryTest
{
    @Test
    void writesAndControlsRoundTripInOrder()
    {
        final LogEntry entry = new LogEntry(7)
            .put(3, bytes("b"), bytes("2"))
            .put(1, bytes("z"), bytes("1"))
            .delete(3, bytes("a"))
            .seal(9, 4, 0x1234L)
            .genesis("n1", List.of(1, 3, 5))
            .adopt(2, 5, 0x99L, 3, true, RangeChunksTest.chunk("k", "v"))
            .release(9, 4)
            .retire();

        final Recorder recorder = decode(entry.encode());

        assertThat(recorder.term).isEqualTo(7);
        assertThat(recorder.events).containsExactly(
            "put 1 z=1", "delete 3 a", "put 3 b=2",
            "SEAL 9 e4 peer=4660 chunk=0 last=false",
            "GENESIS 0 e1 peer=0 chunk=0 last=false",
            "ADOPT 2 e5 peer=153 chunk=3 last=true",
            "RELEASE 9 e4 peer=0 chunk=0 last=false",
            "RETIRE 0 e0 peer=0 chunk=0 last=false");
        assertThat(LogEntry.Genesis.decode(recorder.controls.get(1).data()))
            .isEqualTo(new LogEntry.Genesis("n1", List.of(1, 3, 5)));
        assertThat(LogEntry.leaderTermOf(entry.encode())).isEqualTo(7);
        assertThat(entry.size()).isEqualTo(3);
        assertThat(entry.controlCount()).isEqualTo(5);
    }

    @Test
    void theLastWriteToAKeyWinsAndPartitionsStayApart()
    {
        final LogEntry entry = new LogEntry(1)
            .put(2, bytes("k"), bytes("first"))
            .put(2, bytes("k"), bytes("second"))
            .put(4, bytes("k"), bytes("other partition"))
            .delete(2, bytes("gone"))
            .put(2, bytes("gone"), bytes("back"));

        assertThat(entry.size()).isEqualTo(3);
        assertThat(decode(entry.encode()).events)
            .containsExactly("put 2 gone=back", "put 2 k=second", "put 4 k=other partition");
    }

    @Test
    void anEmptyEntryRoundTripsAndSaysSo()
    {
        final LogEntry entry = new LogEntry(Long.MAX_VALUE);

        assertThat(entry.isEmpty()).isTrue();
        final Recorder recorder = decode(entry.encode());
        assertThat(recorder.term).isEqualTo(Long.MAX_VALUE);
        assertThat(recorder.events).isEmpty();
        assertThat(new LogEntry(1).retire().isEmpty()).isFalse();
    }

    @Test
    void encodedLengthIsExactForEveryShape()
    {
        final Random random = new Random(11);
        for (int round = 0; round < 200; round++)
        {
            final LogEntry entry = new LogEntry(random.nextLong());
            final int writes = random.nextInt(20);
            for (int i = 0; i < writes; i++)
            {
                final byte[] key = new byte[random.nextInt(4)];
                random.nextBytes(key);
                if (random.nextBoolean())
                {
                    final byte[] value = new byte[random.nextInt(30)];
                    random.nextBytes(value);
                    entry.put(random.nextInt(3), key, value);
                }
                else
                {
                    entry.delete(random.nextInt(3), key);
                }
            }
            if (random.nextBoolean())
            {
                entry.adopt(1, 2, 3, 0, false, RangeChunksTest.chunk("a", "b"));
            }
            assertThat(entry.encode()).hasSize(entry.encodedLength());
        }
    }

    @Test
    void bytesThatAreNotAGroupEntryAreRejected()
    {
        assertThatThrownBy(() -> LogEntry.decode(new byte[8], new Recorder()))
            .isInstanceOf(IllegalStateException.class).hasMessageContaining("not a GroupEntry");
        assertThatThrownBy(() -> LogEntry.decode(ReadKeys.encode(1, new byte[] {1}), new Recorder()))
            .isInstanceOf(IllegalStateException.class).hasMessageContaining("not a GroupEntry");
    }

    @Test
    void anEntryHoldsAtMostMaxOpsWrites()
    {
        final LogEntry entry = new LogEntry(1);
        for (int i = 0; i <= LogEntry.MAX_OPS; i++)
        {
            entry.put(0, java.nio.ByteBuffer.allocate(4).putInt(i).array(), new byte[0]);
        }

        assertThatThrownBy(entry::encode).isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("more than " + LogEntry.MAX_OPS);
    }

    private static Recorder decode(final byte[] bytes)
    {
        final Recorder recorder = new Recorder();
        recorder.term = LogEntry.decode(bytes, recorder);
        return recorder;
    }

    private static byte[] bytes(final String s)
    {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static final class Recorder implements LogEntry.Visitor
    {
        final List<String> events = new ArrayList<>();
        final List<LogEntry.Control> controls = new ArrayList<>();
        long term;

        public void put(final int partition, final byte[] key, final byte[] value)
        {
            events.add("put " + partition + " " + new String(key, StandardCharsets.UTF_8) + "=" +
                new String(value, StandardCharsets.UTF_8));
        }

        public void delete(final int partition, final byte[] key)
        {
            events.add("delete " + partition + " " + new String(key, StandardCharsets.UTF_8));
        }

        public void control(final LogEntry.Control c)
        {
            controls.add(c);
            events.add(c.type() + " " + c.partition() + " e" + c.epoch() + " peer=" + c.peerGroup() + " chunk=" +
                c.chunk() + " last=" + c.last());
            assertThat(c.type()).isNotEqualTo(ControlType.NULL_VAL);
        }
    }
}
