package io.rookery.node;

import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.stream.Stream;

import io.rookery.api.AgentType;
import org.agrona.DirectBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent types this node knows, found with {@link ServiceLoader} on the classpath and in the
 * jars of an optional plugins directory.
 */
public final class AgentRegistry
{
    private static final Logger LOG = LoggerFactory.getLogger(AgentRegistry.class);

    private final Map<String, AgentType<?, ?>> types;
    private final String[] nameList;
    private final byte[][] encodedNames;

    private AgentRegistry(final Map<String, AgentType<?, ?>> types)
    {
        this.types = Collections.unmodifiableMap(types);
        this.nameList = types.keySet().toArray(String[]::new);
        this.encodedNames = new byte[nameList.length][];
        for (int i = 0; i < nameList.length; i++)
        {
            encodedNames[i] = nameList[i].getBytes(StandardCharsets.UTF_8);
        }
    }

    /**
     * @param pluginsDir directory of plugin jars, or null.
     * @param extra      types registered programmatically (tests, embedding), may be empty.
     * @return the registry.
     * @throws IllegalStateException when two types share a name.
     */
    public static AgentRegistry discover(final Path pluginsDir, final Collection<AgentType<?, ?>> extra)
    {
        final Map<String, AgentType<?, ?>> types = new TreeMap<>();
        final ClassLoader loader = pluginLoader(pluginsDir);
        for (final AgentType<?, ?> type : ServiceLoader.load(AgentType.class, loader))
        {
            register(types, type);
        }
        for (final AgentType<?, ?> type : extra)
        {
            register(types, type);
        }
        LOG.info("agent types: {}", types.keySet());
        return new AgentRegistry(types);
    }

    /**
     * @param types the types.
     * @return a registry of exactly these types.
     */
    public static AgentRegistry of(final Collection<AgentType<?, ?>> types)
    {
        final Map<String, AgentType<?, ?>> map = new TreeMap<>();
        types.forEach(t -> register(map, t));
        return new AgentRegistry(map);
    }

    /**
     * @param name a type name.
     * @return the type, or null when unknown.
     */
    public AgentType<?, ?> find(final String name)
    {
        return types.get(name);
    }

    /**
     * The registered name spelled by some UTF-8 bytes, so a type name read from a frame needs no
     * new String.
     *
     * @param buffer holding the bytes.
     * @param offset of the first byte.
     * @param length of the name.
     * @return the registered name, or null when no type has it.
     */
    public String name(final DirectBuffer buffer, final int offset, final int length)
    {
        final byte[][] encoded = encodedNames;
        for (int i = 0; i < encoded.length; i++)
        {
            final byte[] candidate = encoded[i];
            if (candidate.length == length && matches(candidate, buffer, offset))
            {
                return nameList[i];
            }
        }
        return null;
    }

    private static boolean matches(final byte[] candidate, final DirectBuffer buffer, final int offset)
    {
        for (int j = 0; j < candidate.length; j++)
        {
            if (candidate[j] != buffer.getByte(offset + j))
            {
                return false;
            }
        }
        return true;
    }

    /** @return names of the known types. */
    public Collection<String> names()
    {
        return types.keySet();
    }

    private static void register(final Map<String, AgentType<?, ?>> types, final AgentType<?, ?> type)
    {
        final AgentType<?, ?> previous = types.get(type.name());
        if (previous != null && previous.getClass() != type.getClass())
        {
            throw new IllegalStateException("two agent types named '" + type.name() + "': " +
                previous.getClass().getName() + " and " + type.getClass().getName());
        }
        types.put(type.name(), type);
    }

    private static ClassLoader pluginLoader(final Path pluginsDir)
    {
        final ClassLoader parent = AgentRegistry.class.getClassLoader();
        if (pluginsDir == null || !Files.isDirectory(pluginsDir))
        {
            return parent;
        }
        final List<URL> jars = new ArrayList<>();
        try (Stream<Path> files = Files.list(pluginsDir))
        {
            for (final Path jar : files.filter(f -> f.toString().endsWith(".jar")).sorted().toList())
            {
                jars.add(jar.toUri().toURL());
            }
        }
        catch (final MalformedURLException ex)
        {
            throw new IllegalStateException("bad plugin path in " + pluginsDir, ex);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot list plugins directory " + pluginsDir, ex);
        }
        LOG.info("plugins from {}: {}", pluginsDir, jars);
        return new URLClassLoader(jars.toArray(URL[]::new), parent);
    }
}
