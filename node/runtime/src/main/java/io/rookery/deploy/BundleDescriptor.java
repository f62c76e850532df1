package io.rookery.deploy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.regex.Pattern;

/**
 * What a bundle says it is, read from {@value #PATH} in its jar:
 * <pre>
 * name=greeter
 * version=2.0.0
 * types=greeter
 * </pre>
 *
 * @param name    the bundle's name; versions of one bundle replace each other.
 * @param version its version (letters, digits, '.', '-', '_', '+').
 * @param types   the agent types it provides, sorted.
 */
public record BundleDescriptor(String name, String version, List<String> types)
{
    /** Where the descriptor lives in a bundle jar. */
    public static final String PATH = "META-INF/rookery-bundle.properties";

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final Pattern VERSION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+-]{0,63}");
    private static final Pattern TYPE = Pattern.compile("[A-Za-z0-9._-]{1,128}");

    /**
     * Reads the descriptor of a bundle without loading any of its classes.
     *
     * @param jar the bundle's bytes.
     * @return its descriptor.
     * @throws BundleRefusedException when the bytes are not a jar, or the descriptor is missing or wrong.
     */
    public static BundleDescriptor read(final byte[] jar)
    {
        try (JarInputStream in = new JarInputStream(new ByteArrayInputStream(jar)))
        {
            boolean entries = false;
            for (JarEntry entry = in.getNextJarEntry(); entry != null; entry = in.getNextJarEntry())
            {
                entries = true;
                if (PATH.equals(entry.getName()))
                {
                    return parse(in);
                }
            }
            throw new BundleRefusedException("bad_descriptor", entries ?
                "the jar has no " + PATH + " (name, version and types of the bundle)" : "the bytes are not a jar");
        }
        catch (final IOException ex)
        {
            throw new BundleRefusedException("bad_descriptor", "the bytes are not a readable jar: " + ex.getMessage(),
                ex);
        }
    }

    private static BundleDescriptor parse(final InputStream in) throws IOException
    {
        final Properties props = new Properties();
        props.load(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
        final String name = required(props, "name");
        final String version = required(props, "version");
        if (!NAME.matcher(name).matches())
        {
            throw new BundleRefusedException("bad_descriptor", "bundle name '" + name +
                "' must be 1-64 letters, digits, '.', '-' or '_'");
        }
        if (!VERSION.matcher(version).matches())
        {
            throw new BundleRefusedException("bad_descriptor", "bundle version '" + version +
                "' must be 1-64 letters, digits, '.', '-', '_' or '+'");
        }
        final TreeSet<String> types = new TreeSet<>();
        for (final String type : required(props, "types").split(","))
        {
            final String t = type.trim();
            if (!TYPE.matcher(t).matches() || t.startsWith("rookery."))
            {
                throw new BundleRefusedException("bad_descriptor", "agent type name '" + t + "' is not allowed " +
                    "(letters, digits, '.', '-', '_'; names starting with 'rookery.' are the runtime's)");
            }
            types.add(t);
        }
        return new BundleDescriptor(name, version, List.copyOf(new ArrayList<>(types)));
    }

    private static String required(final Properties props, final String key)
    {
        final String value = props.getProperty(key);
        if (value == null || value.isBlank())
        {
            throw new BundleRefusedException("bad_descriptor", PATH + " has no '" + key + "'");
        }
        return value.trim();
    }

    /** @return "name@version". */
    public String label()
    {
        return name + "@" + version;
    }
}
