package io.rookery.deploy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;

/**
 * Makes bundle jars for tests, from classes of the test classpath or from another jar.
 */
public final class BundleJars
{
    private BundleJars()
    {
    }

    /**
     * @param entries path in the jar to bytes.
     * @return the jar.
     */
    public static byte[] jar(final Map<String, byte[]> entries)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(out))
        {
            for (final Map.Entry<String, byte[]> entry : entries.entrySet())
            {
                jar.putNextEntry(new JarEntry(entry.getKey()));
                jar.write(entry.getValue());
                jar.closeEntry();
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        return out.toByteArray();
    }

    /**
     * @param jar a jar.
     * @return its entries, in order.
     */
    public static Map<String, byte[]> entries(final byte[] jar)
    {
        final Map<String, byte[]> entries = new LinkedHashMap<>();
        try (JarInputStream in = new JarInputStream(new ByteArrayInputStream(jar)))
        {
            for (JarEntry entry = in.getNextJarEntry(); entry != null; entry = in.getNextJarEntry())
            {
                if (!entry.isDirectory())
                {
                    entries.put(entry.getName(), in.readAllBytes());
                }
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        return entries;
    }

    /**
     * @param type a class of the test classpath.
     * @return its class file, under its path in a jar.
     */
    public static Map.Entry<String, byte[]> classFile(final Class<?> type)
    {
        final String path = type.getName().replace('.', '/') + ".class";
        try (InputStream in = type.getClassLoader().getResourceAsStream(path))
        {
            return Map.entry(path, in.readAllBytes());
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * @param name    bundle name.
     * @param version bundle version.
     * @param types   comma-separated agent types.
     * @return the descriptor entry.
     */
    public static Map.Entry<String, byte[]> descriptor(final String name, final String version, final String types)
    {
        return Map.entry(BundleDescriptor.PATH,
            ("name=" + name + "\nversion=" + version + "\ntypes=" + types + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /**
     * @param classes agent type classes listed as services.
     * @return the service file entry.
     */
    public static Map.Entry<String, byte[]> services(final Class<?>... classes)
    {
        final StringBuilder text = new StringBuilder();
        for (final Class<?> c : classes)
        {
            text.append(c.getName()).append('\n');
        }
        return Map.entry("META-INF/services/io.rookery.api.AgentType",
            text.toString().getBytes(StandardCharsets.UTF_8));
    }
}
