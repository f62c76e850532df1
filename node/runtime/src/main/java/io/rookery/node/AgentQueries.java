package io.rookery.node;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import io.rookery.api.Codecs;
import io.rookery.query.Predicate;
import io.rookery.query.Tally;

/**
 * Queries over the agents of a type across the cluster, run by the node that received them: a
 * list walks the partitions in order, asking each partition's leader for its matches in key order
 * (pages of {@code limit}, resumed with an opaque cursor: partition and last key); an aggregate asks
 * every partition's leader at once, a bounded number at a time, and merges the counts, sums,
 * minimums and maximums as they arrive. Either way the condition is tested next to the data
 * ({@link PartitionQuery}) and memory here is bounded by one page or one aggregate.
 * <p>
 * Consistency: each partition's answer comes from committed state read through Raft. A list is
 * not one snapshot of the cluster, but paging by cursor returns every agent that has state for the
 * whole walk exactly once, whatever is created, changed or deleted meanwhile and wherever its
 * partition moves.
 */
final class AgentQueries
{
    /** Partitions an aggregate asks at once. */
    static final int AGGREGATE_WINDOW = 32;

    private final AgentRuntime runtime;

    AgentQueries(final AgentRuntime runtime)
    {
        this.runtime = runtime;
    }

    /**
     * A position in a list: the next partition to read and the key after which to go on there.
     *
     * @param partition the partition.
     * @param after     the last key returned from it, or null to start it from its first agent.
     */
    record Cursor(int partition, String after)
    {
        static final Cursor START = new Cursor(0, null);

        String encode()
        {
            final String text = after == null ? Integer.toString(partition) : partition + ":" + after;
            return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
        }

        static Cursor decode(final String cursor, final int partitionCount)
        {
            if (cursor == null || cursor.isEmpty())
            {
                return START;
            }
            try
            {
                final String text = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
                final int colon = text.indexOf(':');
                final int partition = Integer.parseInt(colon < 0 ? text : text.substring(0, colon));
                if (partition < 0 || partition > partitionCount)
                {
                    throw new IllegalArgumentException("partition " + partition);
                }
                final String after = colon < 0 ? null : text.substring(colon + 1);
                if (after != null)
                {
                    // A key an agent can have; anything else did not come from this cluster.
                    new io.rookery.api.AgentId("cursor", after);
                }
                return new Cursor(partition, after);
            }
            catch (final IllegalArgumentException ex)
            {
                throw new IllegalArgumentException("not a cursor this cluster gave out: " + cursor);
            }
        }
    }

    /**
     * @param type    the agent type.
     * @param where   the condition, or null for every agent.
     * @param cursor  where the previous page ended, or null for the first page.
     * @param limit   most agents in the page.
     * @param timeout how long the page may take.
     * @return {@code {"agents":[{"key":..,"state":..}],"next":cursor}} (no {@code next} on the last
     * page), or an error response.
     */
    CompletableFuture<Response> list(final String type, final String where, final String cursor, final int limit,
        final Duration timeout)
    {
        final Cursor start;
        try
        {
            Predicate.parse(where);
            start = Cursor.decode(cursor, runtime.partitionCount());
        }
        catch (final IllegalArgumentException ex)
        {
            return CompletableFuture.completedFuture(Response.error(
                io.rookery.transport.codecs.Status.BAD_REQUEST, ex.getMessage()));
        }
        final ListWalk walk = new ListWalk(type, where, limit, System.currentTimeMillis() + timeout.toMillis());
        walk.ask(start);
        return walk.answer;
    }

    /**
     * @param type    the agent type.
     * @param where   the condition, or null for every agent.
     * @param field   path of a numeric field to sum, or null for a count alone.
     * @param timeout how long it may take.
     * @return {@code {"count":n,"numbers":n,"sum":x,"min":y,"max":z,"scanned":n,"partitions":p}}, or an
     * error response naming a partition that did not answer.
     */
    CompletableFuture<Response> aggregate(final String type, final String where, final String field,
        final Duration timeout)
    {
        try
        {
            Predicate.parse(where);
            if (field != null)
            {
                Predicate.path(field);
            }
        }
        catch (final IllegalArgumentException ex)
        {
            return CompletableFuture.completedFuture(Response.error(
                io.rookery.transport.codecs.Status.BAD_REQUEST, ex.getMessage()));
        }
        final byte[] query = new PartitionQuery.Spec(null, null, 1, true, null).toJson(where, field);
        final Aggregate aggregate = new Aggregate(type, query, timeout);
        for (int i = 0; i < Math.min(AGGREGATE_WINDOW, runtime.partitionCount()); i++)
        {
            aggregate.askNext();
        }
        return aggregate.answer;
    }

    /**
     * The walk of one page of a list over the partitions, one partition answer at a time.
     */
    private final class ListWalk
    {
        final String type;
        final String where;
        final int limit;
        final long deadlineMs;
        final CompletableFuture<Response> answer = new CompletableFuture<>();
        final AgentList agents = new AgentList();

        ListWalk(final String type, final String where, final int limit, final long deadlineMs)
        {
            this.type = type;
            this.where = where;
            this.limit = limit;
            this.deadlineMs = deadlineMs;
        }

        void ask(final Cursor at)
        {
            if (at.partition() >= runtime.partitionCount())
            {
                finish(null);
                return;
            }
            final long leftMs = deadlineMs - System.currentTimeMillis();
            if (leftMs <= 0)
            {
                // What was gathered is a page; the cursor says where the next one starts.
                finish(at);
                return;
            }
            final byte[] query = new PartitionQuery.Spec(null, at.after(), limit - agents.size(), false, null)
                .toJson(where, null);
            runtime.router().query(type, at.partition(), query, Duration.ofMillis(leftMs)).whenComplete((r, ex) ->
            {
                try
                {
                    onAnswer(at, r, ex);
                }
                catch (final RuntimeException failure)
                {
                    answer.complete(Response.error(io.rookery.transport.codecs.Status.INTERNAL_ERROR,
                        "list failed at partition " + at.partition() + ": " + failure));
                }
            });
        }

        private void onAnswer(final Cursor at, final Response response, final Throwable ex)
        {
            if (ex != null || !response.isOk())
            {
                answer.complete(ex != null ? Response.error(io.rookery.transport.codecs.Status.UNAVAILABLE,
                    String.valueOf(ex)) : Response.error(response.status(), "partition " + at.partition() + ": " +
                    response.payloadText()));
                return;
            }
            final JsonNode json = Codecs.parseJson(response.payload());
            for (final JsonNode agent : json.path("agents"))
            {
                agents.add(agent.path("key").asText(), Codecs.toJson(agent.path("state")));
            }
            final boolean done = json.path("done").asBoolean();
            final String last = json.hasNonNull("last") ? json.get("last").asText() : at.after();
            final Cursor next = done ? new Cursor(at.partition() + 1, null) : new Cursor(at.partition(), last);
            if (agents.size() >= limit)
            {
                finish(next.partition() >= runtime.partitionCount() ? null : next);
                return;
            }
            ask(next);
        }

        private void finish(final Cursor next)
        {
            answer.complete(Response.ok(agents.answer(next == null ? "" : ",\"next\":\"" + next.encode() + "\"")));
        }
    }

    /**
     * An aggregate's scatter and gather: every partition asked once, at most
     * {@link #AGGREGATE_WINDOW} at a time, merged as answers arrive.
     */
    private final class Aggregate
    {
        final String type;
        final byte[] query;
        final Duration timeout;
        final CompletableFuture<Response> answer = new CompletableFuture<>();
        final AtomicInteger nextPartition = new AtomicInteger();
        final long startNs = System.nanoTime();
        final Tally tally = new Tally();
        int answered;

        Aggregate(final String type, final byte[] query, final Duration timeout)
        {
            this.type = type;
            this.query = query;
            this.timeout = timeout;
        }

        void askNext()
        {
            final int partition = nextPartition.getAndIncrement();
            if (partition >= runtime.partitionCount() || answer.isDone())
            {
                return;
            }
            final Duration left = timeout.minusNanos(System.nanoTime() - startNs);
            if (left.isNegative() || left.isZero())
            {
                answer.complete(Response.error(io.rookery.transport.codecs.Status.TIMEOUT,
                    "aggregate not done within " + timeout.toMillis() + " ms (" + answered + " partitions answered)"));
                return;
            }
            runtime.router().query(type, partition, query, left).whenComplete((r, ex) -> onAnswer(partition, r, ex));
        }

        private void onAnswer(final int partition, final Response response, final Throwable ex)
        {
            synchronized (this)
            {
                if (answer.isDone())
                {
                    return;
                }
                if (ex != null || !response.isOk())
                {
                    answer.complete(Response.error(ex != null ? io.rookery.transport.codecs.Status.UNAVAILABLE :
                        response.status(), "partition " + partition + " did not answer: " +
                        (ex != null ? ex : response.payloadText())));
                    return;
                }
                tally.merge(Codecs.parseJson(response.payload()));
                if (++answered == runtime.partitionCount())
                {
                    final Map<String, Object> result = tally.toMap();
                    result.put("partitions", answered);
                    result.put("tookMs", (System.nanoTime() - startNs) / 1_000_000);
                    answer.complete(Response.ok(Codecs.toJson(result)));
                    return;
                }
            }
            askNext();
        }
    }
}
