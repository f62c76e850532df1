package io.rookery.query;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The running result of an aggregate: how many agents were looked at and matched, and the sum,
 * minimum and maximum of the matches' numeric field. One partition's leader fills one from the
 * states it reads; the node that received the query merges the partitions' into one. Not
 * thread-safe.
 */
public final class Tally
{
    private long count;
    private long numbers;
    private long scanned;
    private BigDecimal sum = BigDecimal.ZERO;
    private BigDecimal min;
    private BigDecimal max;

    /**
     * @param agents more agents looked at.
     */
    public void scanned(final long agents)
    {
        scanned += agents;
    }

    /**
     * One more match.
     *
     * @param number the value of its field, or null when the field did not hold a number (or none
     *               was asked for).
     */
    public void matched(final BigDecimal number)
    {
        count++;
        if (number != null)
        {
            add(1, number, number, number);
        }
    }

    /**
     * Adds another tally, as {@link #toMap()} gave it (as JSON).
     *
     * @param other a partition's tally.
     */
    public void merge(final JsonNode other)
    {
        count += other.path("count").asLong();
        scanned += other.path("scanned").asLong();
        if (other.path("numbers").asLong() > 0)
        {
            add(other.path("numbers").asLong(), other.path("sum").decimalValue(), other.path("min").decimalValue(),
                other.path("max").decimalValue());
        }
    }

    private void add(final long n, final BigDecimal addend, final BigDecimal low, final BigDecimal high)
    {
        numbers += n;
        sum = sum.add(addend);
        min = min == null || low.compareTo(min) < 0 ? low : min;
        max = max == null || high.compareTo(max) > 0 ? high : max;
    }

    /**
     * @return count, numbers (matches whose field held a number), sum, min, max (null without
     * numbers) and scanned, in that order, for JSON.
     */
    public Map<String, Object> toMap()
    {
        final Map<String, Object> map = new LinkedHashMap<>();
        map.put("count", count);
        map.put("numbers", numbers);
        map.put("sum", sum);
        map.put("min", min);
        map.put("max", max);
        map.put("scanned", scanned);
        return map;
    }
}
