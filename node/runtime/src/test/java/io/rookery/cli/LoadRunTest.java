package io.rookery.cli;

import java.net.ConnectException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LoadRunTest
{
    @Test
    void percentilesAreNearestRankOverTheSortedLatencies()
    {
        final long[] sorted = new long[1000];
        for (int i = 0; i < sorted.length; i++)
        {
            sorted[i] = (i + 1) * 1_000_000L;
        }
        final LoadRun.Result result = new LoadRun.Result(2.0, 1000, 0, Map.of(), sorted, 1000, 0, List.of());
        assertThat(result.percentileMs(0.50)).isEqualTo(500.0);
        assertThat(result.percentileMs(0.99)).isEqualTo(990.0);
        assertThat(result.percentileMs(0.999)).isEqualTo(999.0);
        assertThat(result.percentileMs(1.0)).isEqualTo(1000.0);
        assertThat(result.opsPerSecond()).isEqualTo(500.0);
        assertThat(new LoadRun.Result(1.0, 0, 3, Map.of(), new long[0], 0, 3, List.of()).percentileMs(0.99)).isZero();
    }

    @Test
    void failuresAreNamedByKind()
    {
        assertThat(LoadRun.errorKind(new CompletionException(new HttpTimeoutException("late")))).isEqualTo("timeout");
        assertThat(LoadRun.errorKind(new ConnectException("refused"))).isEqualTo(LoadRun.NOT_SENT);
        assertThat(LoadRun.errorKind(new CompletionException(new java.io.IOException("reset"))))
            .isEqualTo("connection: IOException");
    }

    @Test
    void durationsReadAsTheCommandLineWritesThem()
    {
        assertThat(BenchCommand.Durations.parse("--duration", "500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(BenchCommand.Durations.parse("--duration", "30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(BenchCommand.Durations.parse("--duration", "1.5s")).isEqualTo(Duration.ofMillis(1500));
        assertThat(BenchCommand.Durations.parse("--duration", "2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(BenchCommand.Durations.parse("--duration", "7")).isEqualTo(Duration.ofSeconds(7));
        assertThatThrownBy(() -> BenchCommand.Durations.parse("--duration", "soon"))
            .hasMessageContaining("--duration takes a duration");
    }

    @Test
    void settingsOutsideTheirRangeAreRefusedWithTheOptionNamed()
    {
        assertThatThrownBy(() -> settings(List.of(), 1, 1)).hasMessageContaining("--via");
        assertThatThrownBy(() -> settings(List.of("h:1"), 0, 1)).hasMessageContaining("--connections");
        assertThatThrownBy(() -> settings(List.of("h:1"), 1, 0)).hasMessageContaining("--keys");
    }

    @Test
    void theCommandRefusesAnUnknownModeWithUsageExitCode()
    {
        assertThat(Main.execute(new String[] {"bench", "--mode", "shout", "--duration", "1s"}, Map.of()))
            .isEqualTo(Main.EXIT_USAGE);
    }

    private static LoadRun.Settings settings(final List<String> endpoints, final int connections, final int keys)
    {
        return new LoadRun.Settings(endpoints, connections, Duration.ofSeconds(1), Duration.ZERO, keys, "counter",
            "k", "{}", false, Duration.ofSeconds(1), false);
    }
}
