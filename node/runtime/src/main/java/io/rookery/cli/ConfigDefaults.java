package io.rookery.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Where a node's settings come from, highest first: a command-line flag, an environment variable
 * {@code ROOKERY_<NAME>} (for example {@code ROOKERY_HTTP_PORT}), a key of the config file
 * ({@code --config} or {@code ROOKERY_CONFIG}; Java properties, keys are the long option names
 * without dashes in front, for example {@code http-port = 7103}), the built-in default.
 * <p>
 * A key of the config file that names no option is refused with its name, so a typo fails the
 * start instead of being ignored.
 */
final class ConfigDefaults implements CommandLine.IDefaultValueProvider
{
    private final Properties file;
    private final Path path;
    private final Map<String, String> environment;

    private ConfigDefaults(final Properties file, final Path path, final Map<String, String> environment)
    {
        this.file = file;
        this.path = path;
        this.environment = environment;
    }

    /**
     * @param args        the command line (scanned for {@code --config}).
     * @param environment the process environment.
     * @return the provider.
     * @throws CommandLine.ParameterException when the config file cannot be read.
     */
    static ConfigDefaults load(final String[] args, final Map<String, String> environment)
    {
        Path path = environment.containsKey("ROOKERY_CONFIG") ? Path.of(environment.get("ROOKERY_CONFIG")) : null;
        for (int i = 0; i < args.length; i++)
        {
            if (args[i].startsWith("--config="))
            {
                path = Path.of(args[i].substring("--config=".length()));
            }
            else if (args[i].equals("--config") && i + 1 < args.length)
            {
                path = Path.of(args[i + 1]);
            }
        }
        final Properties properties = new Properties();
        if (path != null)
        {
            try (Reader reader = Files.newBufferedReader(path, StandardCharsets.UTF_8))
            {
                properties.load(reader);
            }
            catch (final IOException ex)
            {
                throw new IllegalArgumentException("cannot read config file " + path + ": " + ex.getMessage(), ex);
            }
        }
        return new ConfigDefaults(properties, path, environment);
    }

    /**
     * Checks every key of the config file names an option of the command.
     *
     * @param spec the command.
     * @throws IllegalArgumentException naming the first unknown key.
     */
    void validate(final CommandSpec spec)
    {
        final Set<String> known = new TreeSet<>();
        for (final OptionSpec option : spec.options())
        {
            known.add(key(option));
        }
        for (final String key : file.stringPropertyNames())
        {
            if (!known.contains(key))
            {
                throw new IllegalArgumentException("unknown setting '" + key + "' in config file " + path +
                    "; known settings: " + known);
            }
        }
    }

    public String defaultValue(final ArgSpec argSpec)
    {
        if (!(argSpec instanceof OptionSpec option))
        {
            return null;
        }
        final String key = key(option);
        final String env = environment.get("ROOKERY_" + key.toUpperCase(Locale.ROOT).replace('-', '_'));
        if (env != null)
        {
            return env;
        }
        final String fromFile = file.getProperty(key);
        if (fromFile != null)
        {
            return fromFile.trim();
        }
        return option.defaultValue();
    }

    /**
     * A setting as the node would see it: its environment variable, else the config file.
     *
     * @param key a setting's name, as in the config file.
     * @return its value, or null when neither sets it.
     */
    String setting(final String key)
    {
        final String env = environment.get("ROOKERY_" + key.toUpperCase(Locale.ROOT).replace('-', '_'));
        if (env != null)
        {
            return env;
        }
        final String fromFile = file.getProperty(key);
        return fromFile == null ? null : fromFile.trim();
    }

    private static String key(final OptionSpec option)
    {
        return option.longestName().replaceFirst("^-+", "");
    }
}
