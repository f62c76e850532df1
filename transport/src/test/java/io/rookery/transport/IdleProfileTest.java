package io.rookery.transport;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Idle profiles as named in configuration.
 */
class IdleProfileTest
{
    @Test
    void parsesNamesCaseInsensitivelyWithDashOrUnderscore()
    {
        assertThat(IdleProfile.parse("polite")).isEqualTo(IdleProfile.POLITE);
        assertThat(IdleProfile.parse("POLITE")).isEqualTo(IdleProfile.POLITE);
        assertThat(IdleProfile.parse(" Polite ")).isEqualTo(IdleProfile.POLITE);
        assertThat(IdleProfile.parse("low-latency")).isEqualTo(IdleProfile.LOW_LATENCY);
        assertThat(IdleProfile.parse("LOW_LATENCY")).isEqualTo(IdleProfile.LOW_LATENCY);
        assertThat(IdleProfile.parse("low_latency")).isEqualTo(IdleProfile.LOW_LATENCY);
        assertThat(IdleProfile.parse("Low-Latency")).isEqualTo(IdleProfile.LOW_LATENCY);
    }

    @Test
    void rejectsOtherNamesNamingTheValidOnes()
    {
        for (final String name : new String[] {"fast", "", "lowlatency", "low latency", "busy-spin", "polite!"})
        {
            assertThatThrownBy(() -> IdleProfile.parse(name))
                .as("'%s'", name)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown idle profile '" + name + "'")
                .hasMessageContaining("polite")
                .hasMessageContaining("low-latency");
        }
    }

    @Test
    void everyProfileHasANameThatParsesBack()
    {
        for (final IdleProfile profile : IdleProfile.values())
        {
            assertThat(IdleProfile.parse(profile.name().toLowerCase().replace('_', '-'))).isEqualTo(profile);
        }
    }

    @Test
    void eachCallGivesANewBackoffStrategy()
    {
        for (final IdleProfile profile : IdleProfile.values())
        {
            final IdleStrategy first = profile.newIdleStrategy();
            final IdleStrategy second = profile.newIdleStrategy();
            assertThat(first).isInstanceOf(BackoffIdleStrategy.class).isNotSameAs(second);
            first.idle(1);
            first.idle(0);
            first.reset();
        }
    }
}
