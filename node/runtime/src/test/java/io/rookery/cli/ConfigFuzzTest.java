package io.rookery.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.rookery.testing.TestCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hostile node settings: any config file, flags and environment must either give a node context
 * that passes its own checks or be refused with an error that says what is wrong
 * ({@link IllegalArgumentException} or picocli's {@link CommandLine.ParameterException}), exactly
 * as {@code rookery node} reads them, short of starting the node.
 * <p>
 * Without {@code JAZZER_FUZZ} this replays the inputs kept under
 * {@code src/test/resources/io/rookery/cli/ConfigFuzzTestInputs}; {@code bin/fuzz} runs it
 * coverage-guided.
 */
class ConfigFuzzTest
{
    private static final List<String> OPTIONS = new ArrayList<>();
    private static Path dir;

    @BeforeAll
    static void collectOptions() throws IOException
    {
        dir = Files.createTempDirectory("rookery-config-fuzz-");
        final CommandLine node = new CommandLine(new Main()).getSubcommands().get("node");
        for (final OptionSpec option : node.getCommandSpec().options())
        {
            OPTIONS.add(option.longestName());
        }
    }

    @AfterAll
    static void deleteDirectory()
    {
        TestCluster.deleteRecursively(dir);
    }

    @FuzzTest
    void anySettingsGiveAValidContextOrAClearRefusal(final FuzzedDataProvider data)
    {
        final Path file = dir.resolve("node.properties");
        final List<String> args = new ArrayList<>(List.of("node", "--config=" + file, "--data-dir=" + dir));
        final int flags = data.consumeInt(0, 4);
        for (int i = 0; i < flags; i++)
        {
            final String option = data.pickValue(OPTIONS);
            args.add(data.consumeBoolean() ? option + "=" + data.consumeString(40) : option);
        }
        final Map<String, String> environment = data.consumeBoolean() ?
            Map.of("ROOKERY_" + data.pickValue(OPTIONS).substring(2).toUpperCase().replace('-', '_'),
                data.consumeString(40)) : Map.of();
        try
        {
            Files.write(file, data.consumeRemainingAsBytes());
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }

        final String[] argv = args.toArray(String[]::new);
        try
        {
            final CommandLine commandLine = Main.configured(argv, environment);
            commandLine.parseArgs(argv);
            final NodeCommand command = commandLine.getSubcommands().get("node").getCommand();
            command.context().conclude();
        }
        catch (final IllegalArgumentException | CommandLine.ParameterException ex)
        {
            assertThat(ex.getMessage()).as("a refusal says why").isNotBlank();
            assertThat(ex.getMessage().getBytes(StandardCharsets.UTF_8).length).isLessThan(64 * 1024);
        }
    }
}
