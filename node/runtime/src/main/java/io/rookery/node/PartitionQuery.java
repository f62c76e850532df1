package io.rookery.node;

import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import com.fasterxml.jackson.databind.JsonNode;
import io.rookery.api.AgentId;
import io.rookery.api.AgentType;
import io.rookery.api.Codecs;
import io.rookery.query.Predicate;
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
 * "scanned":n}}, an aggregate {@code {"count":n,"scanned":n,"numbers":n,"sum":x,"min":y,"max":z}}
 * ({@code numbers}: matches whose field held a number; sum, min and max are over those).
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
    private final ByteArrayOutputStream agents = new ByteArrayOutputStream();
    private int matched;
    private int scanned;
    private String lastKey;
    private long numbers;
    private BigDecimal sum = BigDecimal.ZERO;
    private BigDecimal min;
    private BigDecimal max;

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
            // Parsed only when something looks inside: a plain list or count needs no tree.
            final boolean parse = spec.where() != Predicate.ALL || (spec.aggregate() && spec.field() != null);
            final JsonNode state = parse ? Codecs.parseJson(stateJson) : null;
            if (!parse || spec.where().test(state))
            {
                matched++;
                if (spec.aggregate())
                {
                    accumulate(state);
                }
                else
                {
                    append(id, stateJson);
                    if (matched >= spec.limit() || agents.size() >= MAX_ANSWER_BYTES)
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

    private void accumulate(final JsonNode state)
    {
        if (spec.field() == null)
        {
            return;
        }
        final JsonNode value = Predicate.resolve(state, spec.field());
        if (value == null || !value.isNumber())
        {
            return;
        }
        final BigDecimal number = value.decimalValue();
        numbers++;
        sum = sum.add(number);
        min = min == null || number.compareTo(min) < 0 ? number : min;
        max = max == null || number.compareTo(max) > 0 ? number : max;
    }

    private void append(final AgentId id, final byte[] stateJson)
    {
        agents.write(agents.size() == 0 ? '[' : ',');
        agents.writeBytes(("{\"key\":" + new String(Codecs.toJson(id.key()), StandardCharsets.UTF_8) + ",\"state\":")
            .getBytes(StandardCharsets.UTF_8));
        agents.writeBytes(stateJson);
        agents.write('}');
    }

    private void finishList(final boolean done)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream(agents.size() + 128);
        out.writeBytes("{\"agents\":".getBytes(StandardCharsets.UTF_8));
        out.writeBytes(agents.size() == 0 ? "[]".getBytes(StandardCharsets.UTF_8) : agents.toByteArray());
        if (agents.size() > 0)
        {
            out.write(']');
        }
        out.writeBytes((",\"last\":" + (lastKey == null ? "null" : new String(Codecs.toJson(lastKey),
            StandardCharsets.UTF_8)) + ",\"done\":" + done + ",\"scanned\":" + scanned + "}")
            .getBytes(StandardCharsets.UTF_8));
        answer.complete(Response.ok(out.toByteArray()));
    }

    private void finishAggregate()
    {
        final java.util.Map<String, Object> json = new java.util.LinkedHashMap<>();
        json.put("count", matched);
        json.put("scanned", scanned);
        json.put("numbers", numbers);
        json.put("sum", sum);
        json.put("min", min);
        json.put("max", max);
        answer.complete(Response.ok(Codecs.toJson(json)));
    }
}
