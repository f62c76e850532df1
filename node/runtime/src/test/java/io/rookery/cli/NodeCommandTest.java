package io.rookery.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A node refused at start says why in one line naming the setting as users write it.
 */
class NodeCommandTest
{
    @TempDir
    Path dir;

    @Test
    void aSettingOutOfRangeIsOneLineNamingTheSettingAndAUsageExitCode()
    {
        final PrintStream saved = System.err;
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        final int code;
        try
        {
            code = Main.execute(new String[] {"node", "--partitions=0", "--data-dir=" + dir}, Map.of());
        }
        finally
        {
            System.setErr(saved);
        }
        final String printed = err.toString(StandardCharsets.UTF_8).trim();
        assertThat(code).isEqualTo(Main.EXIT_USAGE);
        assertThat(printed).isEqualTo("rookery node: partitions must be in [1, 4096]: 0");
    }

    @Test
    void runtimeNamesOfSettingsBecomeTheNamesUsersWrite()
    {
        assertThat(NodeCommand.settingNames("node.replicationFactor must be in [1, 7]: 9"))
            .isEqualTo("replication must be in [1, 7]: 9");
        assertThat(NodeCommand.settingNames("node.nodeId must be set when node.initialMembers is"))
            .isEqualTo("id must be set when initial-members is");
        assertThat(NodeCommand.settingNames(null)).isEqualTo("failed to start");
    }
}
