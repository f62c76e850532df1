package io.rookery.chaos;

/**
 * A broken guarantee found by a checker.
 *
 * @param checker     which checker found it.
 * @param description what was seen, precisely enough to find it in the history.
 */
public record Violation(String checker, String description)
{
}
