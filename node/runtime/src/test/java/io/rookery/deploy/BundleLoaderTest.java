package io.rookery.deploy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import io.rookery.api.AgentType;
import io.rookery.deploy.testbundle.Echo;
import io.rookery.deploy.testbundle.EchoAgent;
import io.rookery.deploy.testbundle.ReachingAgent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BundleLoaderTest
{
    @TempDir
    Path dir;

    private final BundleLoader loader = new BundleLoader(BundleLoaderTest.class.getClassLoader());

    @Test
    void aGoodBundleLoadsInItsOwnClassLoader()
    {
        final LoadedBundle bundle = load(echoBundle("echo"));

        final AgentType<?, ?> echo = bundle.types().get("echo");
        assertThat(echo).isNotNull();
        assertThat(echo.getClass()).isNotSameAs(EchoAgent.class);
        assertThat(echo.getClass().getClassLoader()).isSameAs(bundle.loader());
        assertThat(bundle.owns(echo)).isTrue();
        assertThat(bundle.descriptor()).isEqualTo(new BundleDescriptor("echoes", "1.0", java.util.List.of("echo")));
        bundle.close();
    }

    @Test
    void aBundleMissingAClassItUsesIsRefused()
    {
        final Map<String, byte[]> entries = new LinkedHashMap<>(BundleJars.entries(echoBundle("echo")));
        entries.remove(BundleJars.classFile(Echo.class).getKey());

        assertThatThrownBy(() -> load(BundleJars.jar(entries)))
            .isInstanceOfSatisfying(BundleRefusedException.class, reason("does_not_load"))
            .hasMessageContaining(Echo.class.getName().replace('.', '/'));
    }

    @Test
    void aBundleReachingIntoTheRuntimeIsRefused()
    {
        final byte[] jar = BundleJars.jar(entries(
            BundleJars.descriptor("reaching", "1.0", "reaching"),
            BundleJars.services(ReachingAgent.class),
            BundleJars.classFile(ReachingAgent.class)));

        assertThatThrownBy(() -> load(jar))
            .isInstanceOfSatisfying(BundleRefusedException.class, reason("does_not_load"))
            .hasMessageContaining("io/rookery/node/RookeryNode");
    }

    @Test
    void aDescriptorThatNamesOtherTypesThanTheJarProvidesIsRefused()
    {
        assertThatThrownBy(() -> load(echoBundle("echo,shout")))
            .isInstanceOfSatisfying(BundleRefusedException.class, reason("bad_descriptor"))
            .hasMessageContaining("[echo, shout]").hasMessageContaining("provides [echo]");
    }

    @Test
    void bytesThatAreNotABundleAreRefusedBeforeAnythingLoads()
    {
        assertThatThrownBy(() -> BundleDescriptor.read("not a jar".getBytes()))
            .isInstanceOfSatisfying(BundleRefusedException.class, reason("bad_descriptor"));
        final byte[] noDescriptor = BundleJars.jar(entries(BundleJars.classFile(EchoAgent.class)));
        assertThatThrownBy(() -> BundleDescriptor.read(noDescriptor))
            .hasMessageContaining(BundleDescriptor.PATH);
        final byte[] reserved = BundleJars.jar(entries(BundleJars.descriptor("x", "1", "rookery.deployments")));
        assertThatThrownBy(() -> BundleDescriptor.read(reserved)).hasMessageContaining("'rookery.'");
    }

    @Test
    void theStoreNamesBundlesByTheirHashAndRemembersTheActiveOnes()
    {
        final BundleStore store = new BundleStore(dir.resolve("store"));
        final byte[] jar = echoBundle("echo");
        final String sha = BundleStore.sha256(jar);

        assertThat(store.put(sha, jar)).hasFileName(sha + ".jar");
        assertThat(store.read(sha)).isEqualTo(jar);
        store.rememberActive(Map.of("echoes", sha));
        assertThat(new BundleStore(dir.resolve("store")).rememberedActive()).containsEntry("echoes", sha);
        store.delete(sha);
        assertThat(store.has(sha)).isFalse();
        assertThat(BundleStore.isSha256("../etc/passwd")).isFalse();
    }

    private static java.util.function.Consumer<BundleRefusedException> reason(final String reason)
    {
        return ex -> assertThat(ex.reason()).isEqualTo(reason);
    }

    private LoadedBundle load(final byte[] jar)
    {
        try
        {
            final String sha = BundleStore.sha256(jar);
            final Path file = dir.resolve(sha + ".jar");
            Files.write(file, jar);
            return loader.load(file, sha, BundleDescriptor.read(jar));
        }
        catch (final java.io.IOException ex)
        {
            throw new java.io.UncheckedIOException(ex);
        }
    }

    private static byte[] echoBundle(final String declaredTypes)
    {
        return BundleJars.jar(entries(
            BundleJars.descriptor("echoes", "1.0", declaredTypes),
            BundleJars.services(EchoAgent.class),
            BundleJars.classFile(EchoAgent.class),
            BundleJars.classFile(Echo.class)));
    }

    @SafeVarargs
    private static Map<String, byte[]> entries(final Map.Entry<String, byte[]>... entries)
    {
        final Map<String, byte[]> map = new LinkedHashMap<>();
        for (final Map.Entry<String, byte[]> entry : entries)
        {
            map.put(entry.getKey(), entry.getValue());
        }
        return map;
    }
}
