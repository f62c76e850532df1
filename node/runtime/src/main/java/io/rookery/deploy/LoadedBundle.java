package io.rookery.deploy;

import java.io.IOException;
import java.net.URLClassLoader;
import java.util.Map;

import io.rookery.api.AgentType;

/**
 * A bundle loaded on this node: its own class loader and the agent types it provides.
 *
 * @param sha256     the hash of its bytes, which names it.
 * @param descriptor what it says it is.
 * @param loader     the class loader of its classes.
 * @param types      its agent types by name.
 */
public record LoadedBundle(
    String sha256, BundleDescriptor descriptor, URLClassLoader loader, Map<String, AgentType<?, ?>> types)
{
    /**
     * @param type an agent type instance.
     * @return whether this bundle's class loader made it.
     */
    public boolean owns(final AgentType<?, ?> type)
    {
        return type.getClass().getClassLoader() == loader;
    }

    /** Closes the class loader: the bundle's classes can no longer load anything new. */
    public void close()
    {
        try
        {
            loader.close();
        }
        catch (final IOException ignored)
        {
            // Closing releases the jar file; failing to leaves a file handle, nothing worse.
        }
    }
}
