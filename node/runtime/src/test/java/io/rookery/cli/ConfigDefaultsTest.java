package io.rookery.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigDefaultsTest
{
    @TempDir
    Path dir;

    @Test
    void flagsBeatEnvironmentWhichBeatsTheFileWhichBeatsDefaults() throws Exception
    {
        final Path file = dir.resolve("rookery.conf");
        Files.writeString(file, "id = n7\nhttp-port = 8000\ngossip-port = 7000\ndata-dir = /var/lib/rookery\n");
        final String[] args = {"node", "--config", file.toString(), "--gossip-port", "7001"};
        final NodeCommand node = parse(args, Map.of("ROOKERY_HTTP_PORT", "8001"));
        assertThat(node.id).isEqualTo("n7");
        assertThat(node.httpPort).as("environment over file").isEqualTo(8001);
        assertThat(node.gossipPort).as("flag over file").isEqualTo(7001);
        assertThat(node.dataDir).isEqualTo(Path.of("/var/lib/rookery"));
        assertThat(node.partitions).as("built-in default").isEqualTo(256);
    }

    @Test
    void anUnknownKeyInTheFileIsRefusedByName() throws Exception
    {
        final Path file = dir.resolve("bad.conf");
        Files.writeString(file, "htp-port = 8000\n");
        assertThatThrownBy(() -> parse(new String[] {"node", "--config=" + file}, Map.of()))
            .hasMessageContaining("unknown setting 'htp-port'");
        assertThat(Main.execute(new String[] {"node", "--config=" + file}, Map.of())).isEqualTo(Main.EXIT_USAGE);
    }

    @Test
    void aBadValueNamesTheOption() throws Exception
    {
        final Path file = dir.resolve("bad-value.conf");
        Files.writeString(file, "partitions = many\ndata-dir = /tmp/x\n");
        assertThatThrownBy(() -> parse(new String[] {"node", "--config=" + file}, Map.of()))
            .hasMessageContaining("--partitions").hasMessageContaining("many");
    }

    @Test
    void theShippedConfigFileNamesOnlyRealSettings()
    {
        final Path shipped = Path.of("src/dist/conf/rookery.conf");
        assertThat(shipped).exists();
        final NodeCommand node = parse(new String[] {"node", "--config", shipped.toString()}, Map.of());
        assertThat(node.partitions).isEqualTo(256);
    }

    private static NodeCommand parse(final String[] args, final Map<String, String> environment)
    {
        final CommandLine commandLine = new CommandLine(new Main());
        final CommandLine node = commandLine.getSubcommands().get("node");
        final ConfigDefaults defaults = ConfigDefaults.load(args, environment);
        defaults.validate(node.getCommandSpec());
        node.setDefaultValueProvider(defaults);
        commandLine.parseArgs(args);
        return node.getCommand();
    }

    @Test
    void drainLocalFindsTheNodeFromItsEnvironmentThenItsConfigFile() throws Exception
    {
        final Path conf = dir.resolve("rookery.conf");
        Files.writeString(conf, "host = 10.1.2.3\nhttp-port = 7203\n");
        assertThat(DrainCommand.localEndpoint(null, Map.of("ROOKERY_CONFIG", conf.toString())))
            .isEqualTo("10.1.2.3:7203");
        assertThat(DrainCommand.localEndpoint(conf.toString(), Map.of("ROOKERY_HTTP_PORT", "7303")))
            .as("the environment wins over the file, as for the node").isEqualTo("10.1.2.3:7303");
        assertThat(DrainCommand.localEndpoint(null, Map.of())).isEqualTo("127.0.0.1:7103");
    }
}
