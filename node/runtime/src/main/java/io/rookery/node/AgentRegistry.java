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
import io.rookery.deploy.LoadedBundle;
import org.agrona.DirectBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent types this node knows: those on its classpath (found with {@link ServiceLoader}, in the
 * node's own jars and an optional plugins directory, or given by an embedding application) and
 * those of the deployed bundles active on this node, which {@link #install(Map)} replaces as
 * versions are activated. Reads are lock-free: each install publishes a new immutable view.
 */
public final class AgentRegistry
{
    private static final Logger LOG = LoggerFactory.getLogger(AgentRegistry.class);

    private final Map<String, AgentType<?, ?>> base;
    private volatile View view;
    private volatile long generation;
    private final Map<ClassLoader, String> versions = new java.util.concurrent.ConcurrentHashMap<>();

    private static final class View
    {
        final Map<String, AgentType<?, ?>> types;
        final String[] nameList;
        final byte[][] encodedNames;

        View(final Map<String, AgentType<?, ?>> types)
        {
            this.types = Collections.unmodifiableMap(types);
            this.nameList = types.keySet().toArray(String[]::new);
            this.encodedNames = new byte[nameList.length][];
            for (int i = 0; i < nameList.length; i++)
            {
                encodedNames[i] = nameList[i].getBytes(StandardCharsets.UTF_8);
            }
        }
    }

    private AgentRegistry(final Map<String, AgentType<?, ?>> types)
    {
        this.base = Collections.unmodifiableMap(new TreeMap<>(types));
        this.view = new View(new TreeMap<>(types));
    }

    /**
     * Makes the types of the active bundles known, replacing those installed before: a type of an
     * earlier version gives way to the same type of the new one, and a type no active bundle
     * provides any more is unknown from now on. Turn loops move their agents to the new versions
     * when they see the {@link #generation()} change.
     *
     * @param active the active bundles.
     * @throws IllegalArgumentException when one of their types has the name of a classpath type, or
     *                                  two of them provide the same type.
     */
    public synchronized void install(final Collection<LoadedBundle> active)
    {
        final Map<String, AgentType<?, ?>> next = new TreeMap<>(base);
        for (final LoadedBundle bundle : active)
        {
            for (final Map.Entry<String, AgentType<?, ?>> entry : bundle.types().entrySet())
            {
                if (base.containsKey(entry.getKey()))
                {
                    throw new IllegalArgumentException("agent type '" + entry.getKey() + "' of " +
                        bundle.descriptor().label() + " is already provided by this node's classpath (" +
                        base.get(entry.getKey()).getClass().getName() + ")");
                }
                if (next.put(entry.getKey(), entry.getValue()) != null)
                {
                    throw new IllegalArgumentException("agent type '" + entry.getKey() + "' is provided by two " +
                        "active bundles");
                }
            }
            versions.put(bundle.loader(), bundle.descriptor().version());
        }
        view = new View(next);
        generation++;
    }

    /**
     * Forgets a pruned bundle's version.
     *
     * @param bundle the bundle.
     */
    public void forget(final LoadedBundle bundle)
    {
        versions.remove(bundle.loader());
    }

    /**
     * @param type an agent type instance.
     * @return the version of the bundle that provided it, or null for a classpath type.
     */
    public String versionOf(final AgentType<?, ?> type)
    {
        return versions.get(type.getClass().getClassLoader());
    }

    /** @return counts the changes {@link #install(Collection)} made. */
    public long generation()
    {
        return generation;
    }

    /**
     * @param name a type name.
     * @return whether the type comes from this node's classpath, not from a bundle.
     */
    public boolean isBuiltIn(final String name)
    {
        return base.containsKey(name);
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
        return view.types.get(name);
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
        final View current = view;
        final byte[][] encoded = current.encodedNames;
        for (int i = 0; i < encoded.length; i++)
        {
            final byte[] candidate = encoded[i];
            if (candidate.length == length && matches(candidate, buffer, offset))
            {
                return current.nameList[i];
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
        return view.types.keySet();
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
