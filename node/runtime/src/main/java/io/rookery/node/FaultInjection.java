package io.rookery.node;

import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Named points where a known bug can be planted on purpose, so the chaos suite can prove it
 * catches that kind of bug (its "red gate"). Off unless the JVM is started with
 * {@code -Drookery.inject=<name>[,<name>...]}; a node with any point on logs it loudly at start.
 */
public final class FaultInjection
{
    /** Accept a durable message again even though it was consumed (breaks exactly-once). */
    public static final String SKIP_INBOX_DEDUP = "skip-inbox-dedup";

    private static final Logger LOG = LoggerFactory.getLogger(FaultInjection.class);
    private static final Set<String> ENABLED = Arrays.stream(System.getProperty("rookery.inject", "").split(","))
        .map(String::trim).filter(s -> !s.isEmpty()).collect(Collectors.toUnmodifiableSet());

    static
    {
        if (!ENABLED.isEmpty())
        {
            LOG.warn("FAULT INJECTION ENABLED: {} -- this node is deliberately broken", ENABLED);
        }
    }

    private FaultInjection()
    {
    }

    /**
     * @param point a named injection point.
     * @return whether the bug at that point is planted in this JVM.
     */
    public static boolean enabled(final String point)
    {
        return ENABLED.contains(point);
    }
}
