package io.rookery.node;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import com.fasterxml.jackson.databind.JsonNode;
import io.rookery.api.AgentId;
import io.rookery.api.AgentType;
import io.rookery.api.Codecs;
import io.rookery.query.Predicate;
import io.rookery.query.Tally;
import io.rookery.raft.RaftGroups;
import io.rookery.raft.ScanPage;
import io.rookery.transport.codecs.Status;

/**
 * One partition's part of a query, run by the partition's leader: reads the partition's agents of
 * a type page by page through Raft (each page a linearizable read of committed state), decodes
 * each state, tests it, and answers with the matches (a list) or with their count, sum, minimum
 * and maximum (an aggregate). Memory is bounded by one scan page plus the matches of one answer;
 * a list answer stops early, with the last key it looked at, when it has scanned
 * {@link #MAX_SCANNED} agents or its deadline is near, so the asking node continues from there.
 * <p>
 * Answers are JSON: a list {@code {"agents":[{"key":..,"state":..}],"last":key,"done":bool,
 * "scanned":n}}, an aggregate a {@link Tally} ({@code numbers}: matches whose field held a number;
 * sum, min and max are over those).
 */
final class PartitionQuery
{
    /** Agents a list answer looks at before it answers with what it has. */
    static final int MAX_SCANNED = 20_000;
    /** Most agents a list answer carries. */
    static final int MAX_LIMIT = 1000;
    /** Bytes of states a list answer carries at most (it fits a transport frame). */
    static final int MAX_ANSWER_BYTES = 512 * 1024;
    private static final int PAGE_PAIRS = 512;
    private static final int PAGE_BYTES = 256 * 1024;
    private static final long DEADLINE_MARGIN_MS = 500;

    /**
     * What a partition is asked.
     *
     * @param where     the condition.
     * @param after     list: the key after which to go on, or null from the first.
     * @param limit     list: most matches to answer with.
     * @param aggregate whether to answer with an aggregate rather than a list.
     * @param field     aggregate: the path of the numeric field to sum, or null for a count alone.
     */
    record Spec(Predicate where, String after, int limit, boolean aggregate, List<String> field)
    {
        /**
         * @param query {@code {"where":s,"after":k,"limit":n}} or {@code {"where":s,"aggregate":true,"field":p}}.
         * @return the spec.
         * @throws IllegalArgumentException when the query is malformed.
         */
        static Spec parse(final byte[] query)
        {
            final JsonNode json;
            try
            {
                json = Codecs.parseJson(query);
            }
            catch (final RuntimeException ex)
            {
                throw new IllegalArgumentException("a query is a JSON object: " + ex.getMessage());
            }
            final Predicate where = Predicate.parse(json.path("where").asText(null));
            final String after = json.hasNonNull("after") ? json.get("after").asText() : null;
            final int limit = json.path("limit").asInt(100);
            if (limit < 1 || limit > MAX_LIMIT)
            {
                throw new IllegalArgumentException("limit must be in [1, " + MAX_LIMIT + "]: " + limit);
            }
            final String field = json.hasNonNull("field") ? json.get("field").asText() : null;
            return new Spec(where, after, limit, json.path("aggregate").asBoolean(false),
                field == null || field.isEmpty() ? null : Predicate.path(field));
        }

        /** @return this spec as the JSON a partition is sent. */
        byte[] toJson(final String whereText, final String fieldText)
        {
            final java.util.Map<String, Object> json = new java.util.LinkedHashMap<>();
            if (whereText != null)
            {
                json.put("where", whereText);
            }
            if (after != null)
            {
                json.put("after", after);
            }
            json.put("limit", limit);
            if (aggregate)
            {
                json.put("aggregate", true);
            }
            if (fieldText != null)
            {
                json.put("field", fieldText);
            }
            return Codecs.toJson(json);
        }
    }

    private final AgentRuntime runtime;
    private final RaftGroups raft;
    private final long group;
    private final int partition;
    private final AgentType<?, ?> type;
    private final Spec spec;
    private final long deadlineMs;
    private final byte[] prefix;
    private final CompletableFuture<Response> answer = new CompletableFuture<>();
    /** Whether a state must be parsed: only when the condition or the summed field looks inside it. */
    private final boolean parse;
    private final AgentList agents = new AgentList();
    private final Tally tally = new Tally();
    private int scanned;
    private String lastKey;

    PartitionQuery(final AgentRuntime runtime, final RaftGroups raft, final long group, final int partition,
        final AgentType<?, ?> type, final Spec spec, final long deadlineMs)
    {
        this.runtime = runtime;
        this.raft = raft;
        this.group = group;
        this.partition = partition;
        this.type = type;
        this.spec = spec;
        this.deadlineMs = deadlineMs;
        this.prefix = KeySpaces.statePrefix(type.name());
        this.lastKey = spec.after();
        this.parse = spec.where() != Predicate.ALL || (spec.aggregate() && spec.field() != null);
    }

    CompletableFuture<Response> run()
    {
        final byte[] startAfter;
        try
        {
            startAfter = spec.after() == null ? null : KeySpaces.stateKey(new AgentId(type.name(), spec.after()));
        }
        catch (final IllegalArgumentException ex)
        {
            return CompletableFuture.completedFuture(Response.error(Status.BAD_REQUEST, "bad cursor: " +
                ex.getMessage()));
        }
        next(startAfter);
        return answer;
    }

    private void next(final byte[] startAfter)
    {
        raft.scan(group, partition, prefix, startAfter, PAGE_PAIRS, PAGE_BYTES).whenCompleteAsync((page, ex) ->
        {
            try
            {
                if (ex != null)
                {
                    answer.complete(Response.error(Status.UNAVAILABLE, "scan failed: " + ex));
                }
                else
                {
                    onPage(page);
                }
            }
            catch (final RuntimeException failure)
            {
                answer.complete(Response.error(Status.INTERNAL_ERROR, "query of partition " + partition +
                    " failed: " + failure));
            }
        }, runtime.queryExecutor());
    }

    private void onPage(final ScanPage page)
    {
        switch (page.status())
        {
            case FOUND ->
            {
            }
            case NOT_LEADER ->
            {
                answer.complete(Response.redirect(runtime.nodeId().equals(page.leaderHint()) ? null :
                    page.leaderHint(), -1));
                return;
            }
            case NOT_OWNER, RETRY, MISSING ->
            {
                // Nothing was read: the router asks again, at whoever serves by then.
                answer.complete(Response.redirect(null, -1));
                return;
            }
            case FAILED ->
            {
                answer.complete(Response.error(Status.UNAVAILABLE, "scan failed: " + page.detail()));
                return;
            }
        }
        for (final byte[][] pair : page.pairs())
        {
            final AgentId id = KeySpaces.agentOfStateKey(pair[0]);
            scanned++;
            lastKey = id.key();
            final byte[] stateJson = runtime.stateJson(id, type, pair[1]);
            final JsonNode state = parse ? Codecs.parseJson(stateJson) : null;
            if (!parse || spec.where().test(state))
            {
                if (spec.aggregate())
                {
                    tally.matched(number(state));
                }
                else
                {
                    agents.add(id.key(), stateJson);
                    if (agents.size() >= spec.limit() || agents.bytes() >= MAX_ANSWER_BYTES)
                    {
                        finishList(!page.more() && pair == page.pairs().get(page.pairs().size() - 1));
                        return;
                    }
                }
            }
        }
        if (!page.more())
        {
            if (spec.aggregate())
            {
                finishAggregate();
            }
            else
            {
                finishList(true);
            }
            return;
        }
        if (!spec.aggregate() &&
            (scanned >= MAX_SCANNED || System.currentTimeMillis() + DEADLINE_MARGIN_MS >= deadlineMs))
        {
            finishList(false);
            return;
        }
        if (System.currentTimeMillis() >= deadlineMs)
        {
            answer.complete(Response.error(Status.TIMEOUT, "partition " + partition + " scanned " + scanned +
                " agents of " + type.name() + " and was not done by the deadline"));
            return;
        }
        final byte[][] last = page.pairs().get(page.pairs().size() - 1);
        next(last[0]);
    }

    /** @return the summed field of a matching state when it holds a number, else null. */
    private BigDecimal number(final JsonNode state)
    {
        if (spec.field() == null)
        {
            return null;
        }
        final JsonNode value = Predicate.resolve(state, spec.field());
        return value == null || !value.isNumber() ? null : value.decimalValue();
    }

    private void finishList(final boolean done)
    {
        answer.complete(Response.ok(agents.answer(",\"last\":" + (lastKey == null ? "null" :
            new String(Codecs.toJson(lastKey), StandardCharsets.UTF_8)) + ",\"done\":" + done + ",\"scanned\":" +
            scanned)));
    }

    private void finishAggregate()
    {
        tally.scanned(scanned);
        answer.complete(Response.ok(Codecs.toJson(tally.toMap())));
    }
}
