package io.rookery.transport;

import java.util.Locale;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

/**
 * Idle-strategy profiles for the duty-cycle threads of a node (transport conductor, Aeron's media
 * driver, partition loops).
 * <p>
 * {@link #POLITE} spins briefly, then yields, then parks for up to a millisecond: several nodes can
 * share two cores without starving each other, at the cost of up to a millisecond of wake-up delay
 * when a node has been idle. {@link #LOW_LATENCY} parks for at most 50 microseconds and spins far
 * longer: for a node that owns its cores.
 */
public enum IdleProfile
{
    POLITE(20, 50, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MILLISECONDS.toNanos(1)),
    LOW_LATENCY(2_000, 200, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MICROSECONDS.toNanos(50));

    private final long maxSpins;
    private final long maxYields;
    private final long minParkNs;
    private final long maxParkNs;

    IdleProfile(final long maxSpins, final long maxYields, final long minParkNs, final long maxParkNs)
    {
        this.maxSpins = maxSpins;
        this.maxYields = maxYields;
        this.minParkNs = minParkNs;
        this.maxParkNs = maxParkNs;
    }

    /**
     * @return a new idle strategy of this profile; idle strategies hold state, so one per thread.
     */
    public IdleStrategy newIdleStrategy()
    {
        return new BackoffIdleStrategy(maxSpins, maxYields, minParkNs, maxParkNs);
    }

    /**
     * @param name case-insensitive profile name, with {@code -} or {@code _}.
     * @return the profile.
     * @throws IllegalArgumentException naming the valid profiles.
     */
    public static IdleProfile parse(final String name)
    {
        final String normalised = name.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        for (final IdleProfile profile : values())
        {
            if (profile.name().equals(normalised))
            {
                return profile;
            }
        }
        throw new IllegalArgumentException("unknown idle profile '" + name + "', expected polite or low-latency");
    }
}
