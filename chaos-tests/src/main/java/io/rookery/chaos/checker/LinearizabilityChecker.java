package io.rookery.chaos.checker;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Checks that a history of operations on one register is linearizable: that there is a total
 * order of the operations, consistent with real time (an operation that completed before another
 * began comes first), in which every result is what a single register would have returned.
 * <p>
 * The search is Wing and Gong's, in Lowe's form: walk the history, linearize any operation whose
 * call has been seen and whose result the model accepts, backtrack when an operation's return is
 * reached before it was linearized, and remember every (set of linearized operations, register
 * value) configuration already explored so none is explored twice.
 * <p>
 * An operation whose outcome is unknown (the client timed out) may have taken effect at any time
 * after it was invoked, or never: its return is placed at infinity and the search may finish
 * without linearizing it. Reads with unknown outcome constrain nothing and are dropped.
 */
public final class LinearizabilityChecker
{
    /** Default bound on explored configurations before the answer is "inconclusive". */
    public static final int DEFAULT_BUDGET = 2_000_000;

    /**
     * Register operations.
     */
    public enum Kind
    {
        READ, WRITE, CAS
    }

    /**
     * What the client learnt.
     */
    public enum Outcome
    {
        /** The operation completed with the recorded result. */
        OK,
        /** The operation definitely did not take effect (the cluster said so). */
        FAIL,
        /** Unknown: it may or may not have taken effect. */
        INFO
    }

    /**
     * One operation of the history.
     *
     * @param id         unique within the history.
     * @param kind       read, write or cas.
     * @param value      write: the value; cas: the new value; read: the value read.
     * @param expected   cas: the expected value.
     * @param casOk      cas with outcome OK: whether it swapped.
     * @param outcome    what the client learnt.
     * @param invokeNs   when the client sent it.
     * @param completeNs when the client learnt the outcome (ignored for INFO).
     */
    public record Operation(
        int id, Kind kind, long value, long expected, boolean casOk, Outcome outcome, long invokeNs, long completeNs)
    {
        /**
         * @param id         id.
         * @param value      the value read.
         * @param invokeNs   invocation.
         * @param completeNs completion.
         * @return a completed read.
         */
        public static Operation read(final int id, final long value, final long invokeNs, final long completeNs)
        {
            return new Operation(id, Kind.READ, value, 0, false, Outcome.OK, invokeNs, completeNs);
        }

        /**
         * @param id         id.
         * @param value      the value written.
         * @param outcome    outcome.
         * @param invokeNs   invocation.
         * @param completeNs completion.
         * @return a write.
         */
        public static Operation write(
            final int id, final long value, final Outcome outcome, final long invokeNs, final long completeNs)
        {
            return new Operation(id, Kind.WRITE, value, 0, false, outcome, invokeNs, completeNs);
        }

        /**
         * @param id         id.
         * @param expected   expected value.
         * @param value      new value.
         * @param swapped    whether it swapped (for OK outcomes).
         * @param outcome    outcome.
         * @param invokeNs   invocation.
         * @param completeNs completion.
         * @return a compare-and-set.
         */
        public static Operation cas(final int id, final long expected, final long value, final boolean swapped,
            final Outcome outcome, final long invokeNs, final long completeNs)
        {
            return new Operation(id, Kind.CAS, value, expected, swapped, outcome, invokeNs, completeNs);
        }
    }

    /**
     * The verdict.
     *
     * @param linearizable true when a linearization exists.
     * @param conclusive   false when the budget ran out first (then {@code linearizable} is false).
     * @param explored     configurations explored.
     * @param explanation  for a violation, the operation that could not be placed.
     */
    public record Result(boolean linearizable, boolean conclusive, long explored, String explanation)
    {
    }

    private static final class Entry
    {
        final Operation op;
        final boolean call;
        final long time;
        Entry match;
        Entry prev;
        Entry next;

        Entry(final Operation op, final boolean call, final long time)
        {
            this.op = op;
            this.call = call;
            this.time = time;
        }
    }

    private record Configuration(BitSet linearized, long value)
    {
    }

    private LinearizabilityChecker()
    {
    }

    /**
     * @param history operations on one register.
     * @param initial the register's value before the first operation.
     * @return the verdict.
     */
    public static Result check(final List<Operation> history, final long initial)
    {
        return check(history, initial, DEFAULT_BUDGET);
    }

    /**
     * @param history operations on one register.
     * @param initial the register's value before the first operation.
     * @param budget  most configurations to explore.
     * @return the verdict.
     */
    public static Result check(final List<Operation> history, final long initial, final int budget)
    {
        final List<Entry> entries = new ArrayList<>();
        for (final Operation op : history)
        {
            if (op.outcome() == Outcome.FAIL || (op.kind() == Kind.READ && op.outcome() != Outcome.OK))
            {
                continue;
            }
            final Entry call = new Entry(op, true, op.invokeNs());
            final Entry ret = new Entry(op, false, op.outcome() == Outcome.INFO ? Long.MAX_VALUE : op.completeNs());
            call.match = ret;
            entries.add(call);
            entries.add(ret);
        }
        // At equal times a return comes first: operations that merely touch do not overlap.
        entries.sort(Comparator.comparingLong((Entry e) -> e.time).thenComparing(e -> e.call));
        final Entry head = new Entry(null, false, Long.MIN_VALUE);
        Entry last = head;
        for (final Entry e : entries)
        {
            last.next = e;
            e.prev = last;
            last = e;
        }

        final Set<Configuration> seen = new HashSet<>();
        final Deque<Object[]> stack = new ArrayDeque<>();
        final BitSet linearized = new BitSet();
        long value = initial;
        long explored = 0;
        Entry entry = head.next;
        while (head.next != null)
        {
            if (entry == null)
            {
                // Only operations of unknown outcome are left; they need not have taken effect.
                return new Result(true, true, explored, "");
            }
            if (entry.call)
            {
                final long[] next = new long[1];
                if (step(entry.op, value, next))
                {
                    final BitSet candidate = (BitSet)linearized.clone();
                    candidate.set(entry.op.id());
                    explored++;
                    if (explored > budget)
                    {
                        return new Result(false, false, explored, "search budget of " + budget + " exhausted");
                    }
                    if (seen.add(new Configuration(candidate, next[0])))
                    {
                        stack.push(new Object[] {entry, value});
                        linearized.set(entry.op.id());
                        value = next[0];
                        lift(entry);
                        entry = head.next;
                        continue;
                    }
                }
                entry = entry.next;
            }
            else
            {
                if (entry.op.outcome() == Outcome.INFO)
                {
                    return new Result(true, true, explored, "");
                }
                if (stack.isEmpty())
                {
                    return new Result(false, true, explored, "no order of the operations explains " +
                        describe(entry.op) + " given what completed before it");
                }
                final Object[] top = stack.pop();
                final Entry lifted = (Entry)top[0];
                value = (Long)top[1];
                linearized.clear(lifted.op.id());
                unlift(lifted);
                entry = lifted.next;
            }
        }
        return new Result(true, true, explored, "");
    }

    private static boolean step(final Operation op, final long value, final long[] next)
    {
        switch (op.kind())
        {
            case READ:
                next[0] = value;
                return op.value() == value;
            case WRITE:
                next[0] = op.value();
                return true;
            case CAS:
                if (op.outcome() == Outcome.INFO)
                {
                    // Linearizing an unknown cas means it took effect, which it only could if it matched.
                    next[0] = op.value();
                    return value == op.expected();
                }
                if (op.casOk())
                {
                    next[0] = op.value();
                    return value == op.expected();
                }
                next[0] = value;
                return value != op.expected();
            default:
                throw new IllegalStateException("kind " + op.kind());
        }
    }

    private static void lift(final Entry call)
    {
        call.prev.next = call.next;
        if (call.next != null)
        {
            call.next.prev = call.prev;
        }
        final Entry ret = call.match;
        ret.prev.next = ret.next;
        if (ret.next != null)
        {
            ret.next.prev = ret.prev;
        }
    }

    private static void unlift(final Entry call)
    {
        final Entry ret = call.match;
        ret.prev.next = ret;
        if (ret.next != null)
        {
            ret.next.prev = ret;
        }
        call.prev.next = call;
        if (call.next != null)
        {
            call.next.prev = call;
        }
    }

    private static String describe(final Operation op)
    {
        final String what = switch (op.kind())
        {
            case READ -> "read -> " + op.value();
            case WRITE -> "write " + op.value();
            case CAS -> "cas " + op.expected() + "->" + op.value() + (op.casOk() ? " ok" : " failed");
        };
        return "op " + op.id() + " (" + what + ", " + op.outcome() + ", invoked " + op.invokeNs() + ", completed " +
            op.completeNs() + ")";
    }

    /**
     * @param a one operation.
     * @param b another.
     * @return whether their lifetimes overlap.
     */
    public static boolean concurrent(final Operation a, final Operation b)
    {
        Objects.requireNonNull(a);
        return a.invokeNs() < b.completeNs() && b.invokeNs() < a.completeNs();
    }
}
