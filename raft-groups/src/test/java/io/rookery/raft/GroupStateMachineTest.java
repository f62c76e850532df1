package io.rookery.raft;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.rookery.storage.Keys;
import io.rookery.storage.NodeStore;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.proto.RaftProtos.StateMachineLogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A group's state machine applying entries to a real store, without a Raft server: genesis,
 * ownership checks on writes, fencing, replay, and every step of a handoff between two groups that
 * share one node's store, including the repeated and out-of-order steps a crash or a leader change
 * produces.
 */
@Timeout(30)
class GroupStateMachineTest
{
    private static final long S = GroupKeys.of("source");
    private static final long T = GroupKeys.of("target");
    private static final byte DATA = 1;

    @TempDir
    Path dir;

    private NodeStore store;
    private final List<String> events = new ArrayList<>();
    private GroupStateMachine source;
    private GroupStateMachine target;
    private long sourceIndex;
    private long targetIndex;

    @BeforeEach
    void open()
    {
        store = NodeStore.open(new NodeStore.Context().directory(dir.resolve("store")).partitionCount(8)
            .writeBufferBytes(1024 * 1024));
        source = new GroupStateMachine(S, store, listener("S"));
        target = new GroupStateMachine(T, store, listener("T"));
    }

    @AfterEach
    void close()
    {
        store.close();
    }

    @Test
    void genesisNamesTheGroupAndGivesItsPartitionsOnce()
    {
        assertThat(applySource(1, new LogEntry(1).genesis("source", List.of(1, 2))))
            .isEqualTo(GroupStateMachine.RESULT_APPLIED);
        assertThat(applySource(1, new LogEntry(1).genesis("impostor", List.of(3))))
            .isEqualTo(GroupStateMachine.RESULT_APPLIED);

        assertThat(source.name()).isEqualTo("source");
        assertThat(source.ownership()).containsOnly(
            Map.entry(1, Ownership.owned(1)), Map.entry(2, Ownership.owned(1)));
        assertThat(events).containsExactlyInAnyOrder("S 1 owned@1", "S 2 owned@1");
    }

    @Test
    void writesLandOnlyInPartitionsTheGroupOwns()
    {
        applySource(1, new LogEntry(1).genesis("source", List.of(1)));

        applySource(1, new LogEntry(1).put(1, key("a"), bytes("owned")).put(2, key("b"), bytes("not owned")));

        assertThat(store.get(S, 1, key("a"))).isEqualTo(bytes("owned"));
        assertThat(store.get(S, 2, key("b"))).isNull();
        assertThat(source.stats().droppedWrites()).isEqualTo(1);
    }

    @Test
    void anEntryComputedInAnotherTermIsFencedAndAReplayIsSkipped()
    {
        applySource(1, new LogEntry(1).genesis("source", List.of(1)));

        assertThat(applySource(3, new LogEntry(2).put(1, key("a"), bytes("stale leader"))))
            .isEqualTo(GroupStateMachine.RESULT_FENCED);
        assertThat(store.get(S, 1, key("a"))).isNull();
        assertThat(source.stats().fencedEntries()).isEqualTo(1);
        assertThat(store.appliedIndex(S).index()).isEqualTo(sourceIndex);

        final byte result = apply(source, 3, sourceIndex, new LogEntry(3).put(1, key("a"), bytes("replay")));
        assertThat(result).isEqualTo(GroupStateMachine.RESULT_REPLAYED);
        assertThat(store.get(S, 1, key("a"))).isNull();
    }

    @Test
    void aScanReadsAPartitionsKeysUnderAPrefixPageByPageAfterTheLastKeyOfThePreviousPage()
    {
        applySource(1, new LogEntry(1).genesis("source", List.of(3)));
        final LogEntry writes = new LogEntry(1);
        for (int i = 0; i < 10; i++)
        {
            writes.put(3, key("k" + i), bytes("v" + i));
        }
        writes.put(3, new byte[] {(byte)(DATA + 1), 'x'}, bytes("other prefix"));
        applySource(1, writes);

        final List<String> seen = new ArrayList<>();
        byte[] after = null;
        int pages = 0;
        boolean more = true;
        while (more)
        {
            final java.nio.ByteBuffer reply = java.nio.ByteBuffer.wrap(scan(source, 3, after, 4, 1 << 20));
            assertThat(reply.get()).isEqualTo(GroupStateMachine.SCAN_PAGE);
            more = reply.get() == 1;
            final int count = reply.getInt();
            assertThat(count).isLessThanOrEqualTo(4);
            for (int i = 0; i < count; i++)
            {
                final byte[] key = new byte[reply.getInt()];
                reply.get(key);
                final byte[] value = new byte[reply.getInt()];
                reply.get(value);
                seen.add(new String(key, 1, key.length - 1, StandardCharsets.UTF_8) + "=" +
                    new String(value, StandardCharsets.UTF_8));
                after = key;
            }
            pages++;
        }
        assertThat(seen).containsExactly("k0=v0", "k1=v1", "k2=v2", "k3=v3", "k4=v4", "k5=v5", "k6=v6", "k7=v7",
            "k8=v8", "k9=v9");
        assertThat(pages).isEqualTo(3);

        final java.nio.ByteBuffer small = java.nio.ByteBuffer.wrap(scan(source, 3, null, 100, 5));
        assertThat(small.get()).isEqualTo(GroupStateMachine.SCAN_PAGE);
        assertThat(small.get()).as("the byte budget ends the page").isEqualTo((byte)1);
        assertThat(small.getInt()).as("a pair that starts within the budget is kept whole").isEqualTo(1);
        assertThat(scan(source, 4, null, 10, 100)).as("a partition the group does not own")
            .containsExactly(GroupStateMachine.READ_NOT_OWNER);
    }

    @Test
    void aHandoffMovesTheRangeToTheTargetAtTheNextEpochWhateverIsRepeated()
    {
        applySource(1, new LogEntry(1).genesis("source", List.of(3)));
        applyTarget(1, new LogEntry(1).genesis("target", List.of()));
        final Map<String, String> data = new LinkedHashMap<>();
        final LogEntry writes = new LogEntry(1);
        for (int i = 0; i < 50; i++)
        {
            data.put("k" + i, "v" + i);
            writes.put(3, key("k" + i), bytes("v" + i));
        }
        applySource(1, writes);

        // The turns batched before the seal keep their writes; none after it lands.
        applySource(1, new LogEntry(1).put(3, key("last"), bytes("in")).seal(3, 2, T));
        data.put("last", "in");
        applySource(1, new LogEntry(1).put(3, key("late"), bytes("out")));
        assertThat(source.ownership(3)).isEqualTo(Ownership.sealed(2, T));
        assertThat(store.get(S, 3, key("late"))).isNull();
        assertThat(query(source, 3, "last")[0]).as("a sealed partition is not read here any more")
            .isEqualTo(GroupStateMachine.READ_NOT_OWNER);

        final List<byte[]> chunks = RangeChunks.read(store, S, 3, 200);
        assertThat(chunks.size()).isGreaterThan(2);
        // Chunk 0, then chunk 0 again (the source's new leader starts over), then a gap: ignored.
        applyTarget(1, adopt(chunks, 0));
        applyTarget(1, adopt(chunks, 0));
        applyTarget(1, adopt(chunks, 2));
        assertThat(target.ownership(3)).isEqualTo(Ownership.adopting(2, S, 1));
        for (int i = 1; i < chunks.size(); i++)
        {
            applyTarget(2, adopt(chunks, i));
        }
        assertThat(target.ownership(3)).isEqualTo(Ownership.owned(2));
        assertThat(dataOf(T, 3)).containsExactlyInAnyOrderEntriesOf(data);
        assertThat(query(target, 3, "last")[0]).isEqualTo(GroupStateMachine.READ_FOUND);

        // The last chunk once more, or a stale epoch's: the owner's range stays as it is.
        applyTarget(2, new LogEntry(2).put(3, key("new turn"), bytes("x")));
        applyTarget(2, adopt(chunks, chunks.size() - 1));
        applyTarget(2, new LogEntry(2).adopt(3, 1, S, 0, true, RangeChunksTest.chunk("k0", "stale")));
        assertThat(store.get(T, 3, key("new turn"))).isEqualTo(bytes("x"));
        assertThat(store.get(T, 3, key("k0"))).isEqualTo(bytes("v0"));

        applySource(1, new LogEntry(1).release(3, 2));
        applySource(1, new LogEntry(1).release(3, 2));
        assertThat(source.ownership(3)).isEqualTo(Ownership.released(2, T));
        assertThat(dataOf(S, 3)).isEmpty();
        assertThat(dataOf(T, 3)).containsEntry("k0", "v0");
    }

    @Test
    void aPartitionCanComeBackToAGroupItLeftAtAHigherEpoch()
    {
        applySource(1, new LogEntry(1).genesis("source", List.of(4)));
        applySource(1, new LogEntry(1).put(4, key("a"), bytes("1")).seal(4, 2, T));
        applySource(1, new LogEntry(1).release(4, 2));

        applySource(1, new LogEntry(1).adopt(4, 3, T, 0, true, RangeChunksTest.chunk("\u0001a", "2")));

        assertThat(source.ownership(4)).isEqualTo(Ownership.owned(3));
        assertThat(store.get(S, 4, key("a"))).isEqualTo(bytes("2"));
    }

    @Test
    void aGroupRetiresOnlyWhenItHoldsNothingAndThenTakesNothing()
    {
        applySource(1, new LogEntry(1).genesis("source", List.of(5)));

        applySource(1, new LogEntry(1).retire());
        assertThat(source.retired()).as("still owns partition 5").isFalse();

        applySource(1, new LogEntry(1).seal(5, 2, T));
        applySource(1, new LogEntry(1).retire());
        assertThat(source.retired()).as("still holds the sealed range").isFalse();

        applySource(1, new LogEntry(1).release(5, 2));
        applySource(1, new LogEntry(1).retire());
        assertThat(source.retired()).isTrue();

        applySource(1, new LogEntry(1).adopt(6, 3, T, 0, true, RangeChunksTest.chunk("\u0001x", "y")));
        assertThat(source.ownership(6)).isNull();
    }

    @Test
    void ownershipNameAndRetirementAreReadBackFromTheStore()
    {
        applySource(1, new LogEntry(1).genesis("source", List.of(1, 2)));
        applySource(1, new LogEntry(1).seal(2, 2, T));

        final GroupStateMachine reopened = new GroupStateMachine(S, store, listener("S2"));
        reopened.loadRecords();

        assertThat(reopened.name()).isEqualTo("source");
        assertThat(reopened.ownership()).isEqualTo(source.ownership());
        assertThat(reopened.retired()).isFalse();
    }

    private LogEntry adopt(final List<byte[]> chunks, final int i)
    {
        return new LogEntry(targetTerm).adopt(3, 2, S, i, i == chunks.size() - 1, chunks.get(i));
    }

    private long targetTerm = 1;

    private byte applySource(final long term, final LogEntry entry)
    {
        return apply(source, term, ++sourceIndex, entry);
    }

    private byte applyTarget(final long term, final LogEntry entry)
    {
        targetTerm = term;
        final LogEntry retermed = entry.leaderTerm() == term ? entry : copyWithTerm(entry, term);
        return apply(target, term, ++targetIndex, retermed);
    }

    private static LogEntry copyWithTerm(final LogEntry entry, final long term)
    {
        final LogEntry copy = new LogEntry(term);
        LogEntry.decode(entry.encode(), new LogEntry.Visitor()
        {
            public void put(final int partition, final byte[] key, final byte[] value)
            {
                copy.put(partition, key, value);
            }

            public void delete(final int partition, final byte[] key)
            {
                copy.delete(partition, key);
            }

            public void control(final LogEntry.Control c)
            {
                copy.adopt(c.partition(), c.epoch(), c.peerGroup(), c.chunk(), c.last(), c.data());
            }
        });
        return copy;
    }

    private static byte apply(final GroupStateMachine machine, final long term, final long index, final LogEntry entry)
    {
        final LogEntryProto proto = LogEntryProto.newBuilder()
            .setTerm(term)
            .setIndex(index)
            .setStateMachineLogEntry(StateMachineLogEntryProto.newBuilder()
                .setLogData(ByteString.copyFrom(entry.encode())))
            .build();
        final TransactionContext trx = TransactionContext.newBuilder()
            .setStateMachine(machine)
            .setServerRole(RaftPeerRole.FOLLOWER)
            .setLogEntry(proto)
            .build();
        return machine.applyTransaction(trx).join().getContent().byteAt(0);
    }

    private static byte[] scan(final GroupStateMachine machine, final int partition, final byte[] after,
        final int limit, final int maxBytes)
    {
        final byte[] scan = ReadKeys.encodeScan(partition, new byte[] {DATA}, after, limit, maxBytes);
        return machine.query(Message.valueOf(ByteString.copyFrom(scan))).join().getContent().toByteArray();
    }

    private static byte[] query(final GroupStateMachine machine, final int partition, final String key)
    {
        return machine.query(Message.valueOf(ByteString.copyFrom(ReadKeys.encode(partition, key(key)))))
            .join().getContent().toByteArray();
    }

    private Map<String, String> dataOf(final long group, final int partition)
    {
        final Map<String, String> data = new LinkedHashMap<>();
        store.scan(group, partition, new byte[] {DATA}, (k, v) ->
        {
            data.put(new String(k, 1, k.length - 1, StandardCharsets.UTF_8), new String(v, StandardCharsets.UTF_8));
            return true;
        });
        return data;
    }

    private GroupListener listener(final String name)
    {
        return new GroupListener()
        {
            public void onOwnershipChanged(final long group, final int partition, final Ownership ownership)
            {
                events.add(name + " " + partition + " " + ownership);
            }
        };
    }

    private static byte[] key(final String rest)
    {
        return Keys.key(DATA, bytes(rest));
    }

    private static byte[] bytes(final String s)
    {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
