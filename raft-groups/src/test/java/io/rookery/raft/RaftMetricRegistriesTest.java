package io.rookery.raft;

import org.apache.ratis.metrics.LongCounter;
import org.apache.ratis.metrics.MetricRegistries;
import org.apache.ratis.metrics.MetricRegistryInfo;
import org.apache.ratis.metrics.RatisMetricRegistry;
import org.apache.ratis.metrics.Timekeeper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RaftMetricRegistriesTest
{
    private static final MetricRegistryInfo INFO = new MetricRegistryInfo("n1@group-1", "ratis", "server", "test");

    @Test
    void ratisLoadsTheseRegistriesInPlaceOfDropwizard()
    {
        assertThat(MetricRegistries.global()).isInstanceOf(RaftMetricRegistries.class);
    }

    @Test
    void countersAndTimersKeepCountingAndARegistryIsSharedPerComponent()
    {
        final RaftMetricRegistries registries = new RaftMetricRegistries();
        final RatisMetricRegistry registry = registries.create(INFO);
        assertThat(registries.create(INFO)).isSameAs(registry);
        assertThat(registries.get(INFO)).containsSame(registry);

        final LongCounter counter = registry.counter("appendEntries");
        counter.inc();
        counter.inc(4);
        counter.dec();
        assertThat(registry.counter("appendEntries").getCount()).isEqualTo(4);

        final Timekeeper timer = registry.timer("flush");
        assertThat(timer.time().stop()).isGreaterThanOrEqualTo(0);
        timer.time().stop();
        assertThat(((RaftMetricRegistries.Timer)registry.timer("flush")).count()).isEqualTo(2);

        assertThat(registry.remove("flush")).isTrue();
        assertThat(registries.remove(INFO)).isTrue();
        assertThat(registries.get(INFO)).isEmpty();
    }
}
