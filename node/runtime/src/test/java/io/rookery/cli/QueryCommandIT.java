package io.rookery.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.rookery.api.Codecs;
import io.rookery.client.RookeryClient;
import io.rookery.testing.TestCluster;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code rookery query} and {@code rookery delete} against a real cluster, as a user types them.
 */
@Timeout(300)
class QueryCommandIT
{
    @AutoClose
    private TestCluster cluster;

    @Test
    void listsFiltersCountsSumsAndDeletesFromTheCommandLine() throws Exception
    {
        cluster = TestCluster.start(3, ctx -> { });
        cluster.awaitSettled(Duration.ofSeconds(60));
        final String via = cluster.node(1).httpEndpoint();
        try (RookeryClient client = RookeryClient.connect(List.of(cluster.node(0).httpEndpoint()),
            Duration.ofSeconds(10)))
        {
            for (int i = 1; i <= 30; i++)
            {
                client.ask("counter", "cli-" + i, "{\"op\":\"increment\",\"by\":" + i + "}").join();
            }
        }

        Result result = run("query", "counter", "--where", "$ > 25", "--page", "2", "--via", via);
        assertThat(result.code()).isZero();
        assertThat(result.out()).contains("cli-26\t26").contains("cli-30\t30").doesNotContain("cli-25\t")
            .contains("5 agents");

        result = run("query", "counter", "--where", "$ > 25", "--sum", "$", "--json", "--via", via);
        assertThat(result.code()).isZero();
        final var json = Codecs.parseJson(result.out().getBytes(StandardCharsets.UTF_8));
        assertThat(json.path("count").asLong()).isEqualTo(5);
        assertThat(json.path("sum").asLong()).isEqualTo(26 + 27 + 28 + 29 + 30);
        assertThat(json.path("max").asLong()).isEqualTo(30);

        result = run("query", "counter", "--limit", "7", "--page", "3", "--json", "--via", via);
        final var page = Codecs.parseJson(result.out().getBytes(StandardCharsets.UTF_8));
        assertThat(page.path("agents").size()).isEqualTo(7);
        assertThat(page.hasNonNull("next")).as("a cursor to go on from").isTrue();

        assertThat(run("delete", "counter", "cli-30", "--node", via).code()).isZero();
        result = run("query", "counter", "--where", "$ > 25", "--count", "--via", via);
        assertThat(result.out()).startsWith("count 4");

        result = run("query", "counter", "--where", "$ >", "--via", via);
        assertThat(result.code()).isEqualTo(Main.EXIT_CHECK_FAILED);
        assertThat(result.err()).contains("HTTP 400").contains("expected a number");
        assertThat(run("query", "counter", "--sum", "a", "--max", "b", "--via", via).code())
            .isEqualTo(Main.EXIT_USAGE);
    }

    private record Result(int code, String out, String err)
    {
    }

    private static Result run(final String... args)
    {
        final PrintStream savedOut = System.out;
        final PrintStream savedErr = System.err;
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try
        {
            final int code = Main.execute(args, Map.of());
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        }
        finally
        {
            System.setOut(savedOut);
            System.setErr(savedErr);
        }
    }
}
