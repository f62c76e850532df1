package io.rookery.raft;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.apache.ratis.metrics.LongCounter;
import org.apache.ratis.metrics.MetricRegistries;
import org.apache.ratis.metrics.MetricRegistryInfo;
import org.apache.ratis.metrics.RatisMetricRegistry;
import org.apache.ratis.metrics.Timekeeper;
import org.apache.ratis.util.TimeDuration;

/**
 * Ratis's metric registries, kept cheap: counters are {@link LongAdder}s, timers count and sum
 * their durations, gauges are held but not sampled. Ratis loads this class through
 * {@code META-INF/services} in place of {@code ratis-metrics-default}, whose Dropwizard timers
 * keep an exponentially decaying reservoir (a concurrent skip list insert per sample): with a Raft
 * group per partition that was the hottest Java frame of a durable load, about 4 % of all CPU.
 * Rookery reports its own figures (Prometheus, {@code /cluster}); nothing reads Ratis's.
 */
public final class RaftMetricRegistries extends MetricRegistries
{
    private final ConcurrentMap<MetricRegistryInfo, Registry> registries = new ConcurrentHashMap<>();

    public void clear()
    {
        registries.clear();
    }

    public RatisMetricRegistry create(final MetricRegistryInfo info)
    {
        return registries.computeIfAbsent(info, Registry::new);
    }

    public boolean remove(final MetricRegistryInfo info)
    {
        return registries.remove(info) != null;
    }

    public Optional<RatisMetricRegistry> get(final MetricRegistryInfo info)
    {
        return Optional.ofNullable(registries.get(info));
    }

    public Set<MetricRegistryInfo> getMetricRegistryInfos()
    {
        return Set.copyOf(registries.keySet());
    }

    public Collection<RatisMetricRegistry> getMetricRegistries()
    {
        return List.copyOf(registries.values());
    }

    public void addReporterRegistration(
        final Consumer<RatisMetricRegistry> reporterRegistration, final Consumer<RatisMetricRegistry> stopReporter)
    {
        // No reporters: nothing is exported from these registries.
    }

    public void enableJmxReporter()
    {
        // No reporters: nothing is exported from these registries.
    }

    public void enableConsoleReporter(final TimeDuration consoleReportRate)
    {
        // No reporters: nothing is exported from these registries.
    }

    /**
     * One component's metrics.
     */
    static final class Registry implements RatisMetricRegistry
    {
        private final MetricRegistryInfo info;
        private final ConcurrentMap<String, Object> metrics = new ConcurrentHashMap<>();

        Registry(final MetricRegistryInfo info)
        {
            this.info = info;
        }

        public Timekeeper timer(final String name)
        {
            return (Timekeeper)metrics.computeIfAbsent(name, n -> new Timer());
        }

        public LongCounter counter(final String name)
        {
            return (LongCounter)metrics.computeIfAbsent(name, n -> new Counter());
        }

        public boolean remove(final String name)
        {
            return metrics.remove(name) != null;
        }

        public <T> void gauge(final String name, final Supplier<Supplier<T>> gaugeSupplier)
        {
            metrics.put(name, gaugeSupplier);
        }

        public MetricRegistryInfo getMetricRegistryInfo()
        {
            return info;
        }
    }

    /**
     * A counter Ratis may also read back.
     */
    static final class Counter implements LongCounter
    {
        private final LongAdder count = new LongAdder();

        public void inc(final long n)
        {
            count.add(n);
        }

        public void dec(final long n)
        {
            count.add(-n);
        }

        public long getCount()
        {
            return count.sum();
        }
    }

    /**
     * A timer that keeps how many durations it saw and their total.
     */
    static final class Timer implements Timekeeper
    {
        private final LongAdder count = new LongAdder();
        private final LongAdder totalNs = new LongAdder();

        public Context time()
        {
            final long startNs = System.nanoTime();
            return () ->
            {
                final long elapsedNs = System.nanoTime() - startNs;
                count.increment();
                totalNs.add(elapsedNs);
                return elapsedNs;
            };
        }

        long count()
        {
            return count.sum();
        }

        long totalNanos()
        {
            return totalNs.sum();
        }
    }
}
