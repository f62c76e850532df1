package io.rookery.deploy;

import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

import io.rookery.api.AgentId;
import io.rookery.api.AgentType;

/**
 * Checks and loads bundles, each in a class loader of its own whose parent shows the bundle the
 * JDK, the agent API, Jackson and SLF4J, and none of the runtime (no Ratis, Aeron or RocksDB
 * classes, whatever the node's classpath holds). A bundle is loaded in full before anything uses
 * it: every class, the types in every class's fields and method signatures, each agent type
 * instantiated and its initial state encoded. Whatever fails refuses the bundle.
 */
public final class BundleLoader
{
    private final ClassLoader parent;

    /**
     * @param runtime the class loader that holds the API (the node's own).
     */
    public BundleLoader(final ClassLoader runtime)
    {
        this.parent = new ApiOnlyClassLoader(runtime);
    }

    /**
     * Loads a bundle whose bytes are in a file named by their hash.
     *
     * @param jar        the bundle's file.
     * @param sha256     its hash.
     * @param descriptor its descriptor, as read from the same bytes.
     * @return the loaded bundle.
     * @throws BundleRefusedException when a class does not load or the types differ from the descriptor.
     */
    public LoadedBundle load(final Path jar, final String sha256, final BundleDescriptor descriptor)
    {
        final URLClassLoader loader;
        try
        {
            loader = new URLClassLoader("bundle-" + descriptor.label(), new URL[] {jar.toUri().toURL()}, parent);
        }
        catch (final MalformedURLException ex)
        {
            throw new IllegalStateException("bad bundle path " + jar, ex);
        }
        try
        {
            resolveEveryClass(jar, loader);
            final Map<String, AgentType<?, ?>> types = discoverTypes(loader, descriptor);
            return new LoadedBundle(sha256, descriptor, loader, Map.copyOf(types));
        }
        catch (final RuntimeException | LinkageError ex)
        {
            closeQuietly(loader);
            if (ex instanceof BundleRefusedException refused)
            {
                throw refused;
            }
            throw new BundleRefusedException("does_not_load", descriptor.label() + " does not load: " + ex, ex);
        }
    }

    private static void resolveEveryClass(final Path jar, final ClassLoader loader)
    {
        try (JarFile file = new JarFile(jar.toFile()))
        {
            final Enumeration<JarEntry> entries = file.entries();
            while (entries.hasMoreElements())
            {
                final String entry = entries.nextElement().getName();
                if (!entry.endsWith(".class") || entry.startsWith("META-INF/") || entry.endsWith("module-info.class"))
                {
                    continue;
                }
                final String className = entry.substring(0, entry.length() - ".class".length()).replace('/', '.');
                try
                {
                    final Class<?> c = Class.forName(className, false, loader);
                    // Reflection resolves the types of fields, methods and constructors: a class
                    // the bundle needs but does not carry fails here, not in a turn.
                    c.getDeclaredFields();
                    c.getDeclaredMethods();
                    c.getDeclaredConstructors();
                }
                catch (final ClassNotFoundException | LinkageError | TypeNotPresentException ex)
                {
                    throw new BundleRefusedException("does_not_load", "class " + className + " does not load: " +
                        ex + " (a bundle carries every class it uses besides the JDK, the agent API and Jackson)",
                        ex);
                }
            }
        }
        catch (final IOException ex)
        {
            throw new BundleRefusedException("does_not_load", "cannot read the bundle's jar: " + ex.getMessage(), ex);
        }
    }

    private static Map<String, AgentType<?, ?>> discoverTypes(
        final ClassLoader loader, final BundleDescriptor descriptor)
    {
        final Map<String, AgentType<?, ?>> types = new LinkedHashMap<>();
        try
        {
            for (final AgentType<?, ?> type : ServiceLoader.load(AgentType.class, loader))
            {
                if (type.getClass().getClassLoader() != loader)
                {
                    continue;
                }
                final String name = type.name();
                if (types.put(name, type) != null)
                {
                    throw new BundleRefusedException("bad_descriptor", descriptor.label() +
                        " provides two agent types named '" + name + "'");
                }
                probe(type);
            }
        }
        catch (final ServiceConfigurationError ex)
        {
            throw new BundleRefusedException("does_not_load", descriptor.label() + ": an agent type does not load: " +
                ex.getMessage(), ex);
        }
        final TreeSet<String> provided = new TreeSet<>(types.keySet());
        final TreeSet<String> named = new TreeSet<>(descriptor.types());
        if (!provided.equals(named))
        {
            throw new BundleRefusedException("bad_descriptor", descriptor.label() + " names agent types " + named +
                " in " + BundleDescriptor.PATH + " but its META-INF/services/" + AgentType.class.getName() +
                " provides " + provided);
        }
        return types;
    }

    @SuppressWarnings("unchecked")
    private static void probe(final AgentType<?, ?> type)
    {
        final AgentType<Object, Object> t = (AgentType<Object, Object>)type;
        t.durability();
        t.messageCodec();
        t.stateCodec().encode(t.initialState(AgentId.of(t.name(), "probe")));
    }

    private static void closeQuietly(final URLClassLoader loader)
    {
        try
        {
            loader.close();
        }
        catch (final IOException ignored)
        {
            // Nothing was handed out from it.
        }
    }

    /** The parent of every bundle's class loader: the JDK, plus the packages bundles may use. */
    private static final class ApiOnlyClassLoader extends ClassLoader
    {
        private static final String[] VISIBLE = {"io.rookery.api.", "com.fasterxml.jackson.", "org.slf4j."};

        private final ClassLoader runtime;

        ApiOnlyClassLoader(final ClassLoader runtime)
        {
            super("rookery-bundle-api", ClassLoader.getPlatformClassLoader());
            this.runtime = runtime;
        }

        @Override
        protected Class<?> findClass(final String name) throws ClassNotFoundException
        {
            for (final String prefix : VISIBLE)
            {
                if (name.startsWith(prefix))
                {
                    return runtime.loadClass(name);
                }
            }
            throw new ClassNotFoundException(name + " (bundles see the JDK, io.rookery.api, Jackson and SLF4J only)");
        }
    }
}
