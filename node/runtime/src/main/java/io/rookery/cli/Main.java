package io.rookery.cli;

import io.rookery.node.RookeryNode;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code rookery} command line.
 */
@Command(
    name = "rookery",
    mixinStandardHelpOptions = true,
    version = "rookery 0.1.0",
    description = "Peer-to-peer runtime for stateful agents.",
    exitCodeOnInvalidInput = Main.EXIT_USAGE,
    exitCodeOnExecutionException = Main.EXIT_USAGE,
    subcommands = {
        NodeCommand.class,
        LocalCommand.class,
        DemoCommand.class,
        StatusCommand.class,
        DrainCommand.class,
        DrainCommand.Local.class,
        RestartCommand.class,
        AgentCommands.Tell.class,
        AgentCommands.Ask.class,
        AgentCommands.State.class,
        AgentCommands.Delete.class,
        QueryCommand.class,
        BenchCommand.class,
        DeployCommands.Deploy.class,
        DeployCommands.Show.class,
        DeployCommands.Activate.class,
        DeployCommands.Rollback.class,
        DeployCommands.Prune.class,
        CommandLine.HelpCommand.class
    })
public final class Main implements Runnable
{
    /** Exit code of a command whose check failed (for example lost increments in the demo). */
    public static final int EXIT_CHECK_FAILED = 1;
    /** Exit code of a command that could not run (bad arguments, unreachable node). */
    public static final int EXIT_USAGE = 2;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    /**
     * @param args command line.
     */
    public static void main(final String[] args)
    {
        if (System.getProperty(RookeryNode.ForkJoinPoolSettings.PROPERTY) == null)
        {
            // Before anything touches the common pool: see RookeryNode.COMMON_POOL_FLAG.
            System.setProperty(RookeryNode.ForkJoinPoolSettings.PROPERTY,
                Integer.toString(RookeryNode.ForkJoinPoolSettings.PARALLELISM));
        }
        System.exit(execute(args, System.getenv()));
    }

    /**
     * Runs a command line with settings from flags, environment and config file.
     *
     * @param args        command line.
     * @param environment environment variables.
     * @return the exit code.
     */
    static int execute(final String[] args, final java.util.Map<String, String> environment)
    {
        final CommandLine commandLine;
        try
        {
            commandLine = configured(args, environment);
        }
        catch (final IllegalArgumentException ex)
        {
            System.err.println("rookery: " + ex.getMessage());
            return EXIT_USAGE;
        }
        return commandLine.execute(args);
    }

    /**
     * @param args        command line (scanned for {@code --config}).
     * @param environment environment variables.
     * @return the command line whose {@code node} command takes its defaults from the environment
     * and the config file.
     * @throws IllegalArgumentException when the config file cannot be read or names an unknown setting.
     */
    static CommandLine configured(final String[] args, final java.util.Map<String, String> environment)
    {
        final CommandLine commandLine = new CommandLine(new Main());
        final CommandLine node = commandLine.getSubcommands().get("node");
        final ConfigDefaults defaults = ConfigDefaults.load(args, environment);
        defaults.validate(node.getCommandSpec());
        node.setDefaultValueProvider(defaults);
        return commandLine;
    }

    public void run()
    {
        spec.commandLine().usage(System.out);
    }
}
