package io.rookery.node;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

import io.rookery.api.AgentType;
import io.rookery.examples.CounterAgent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AgentRegistryTest
{
    @TempDir
    Path dir;

    @Test
    void findsTheShippedTypesOnTheClasspath()
    {
        final AgentRegistry registry = AgentRegistry.discover(null, List.of());
        assertThat(registry.names()).contains("counter", "account", "taskqueue", "worker");
        assertThat(registry.find("counter")).isInstanceOf(CounterAgent.class);
        assertThat(registry.find("nope")).isNull();
    }

    @Test
    void findsTypesInJarsOfThePluginsDirectory() throws Exception
    {
        final Path source = dir.resolve("src/plugin/EchoAgent.java");
        Files.createDirectories(source.getParent());
        Files.writeString(source, """
            package plugin;

            import io.rookery.api.*;

            public final class EchoAgent implements AgentType<String, String>
            {
                public String name() { return "echo"; }
                public Codec<String> stateCodec() { return Codecs.utf8(); }
                public Codec<String> messageCodec() { return Codecs.utf8(); }
                public String initialState(AgentId id) { return ""; }
                public String handle(AgentContext ctx, String state, String message)
                {
                    ctx.reply(message);
                    return message;
                }
            }
            """);
        final Path classes = dir.resolve("classes");
        Files.createDirectories(classes);
        final JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        final int status = compiler.run(null, null, null, "-d", classes.toString(),
            "-cp", System.getProperty("java.class.path"), source.toString());
        assertThat(status).as("plugin compiles").isZero();

        final Path plugins = dir.resolve("plugins");
        Files.createDirectories(plugins);
        try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(plugins.resolve("echo.jar"))))
        {
            add(jar, "plugin/EchoAgent.class", Files.readAllBytes(classes.resolve("plugin/EchoAgent.class")));
            add(jar, "META-INF/services/io.rookery.api.AgentType",
                "plugin.EchoAgent\n".getBytes(StandardCharsets.UTF_8));
        }

        final AgentRegistry registry = AgentRegistry.discover(plugins, List.of());
        final AgentType<?, ?> echo = registry.find("echo");
        assertThat(echo).isNotNull();
        assertThat(echo.getClass().getName()).isEqualTo("plugin.EchoAgent");
        assertThat(registry.names()).contains("counter", "echo");
    }

    @Test
    void refusesTwoTypesWithTheSameName()
    {
        final AgentType<String, String> impostor = new AgentType<>()
        {
            public String name()
            {
                return "account";
            }

            public io.rookery.api.Codec<String> stateCodec()
            {
                return io.rookery.api.Codecs.utf8();
            }

            public io.rookery.api.Codec<String> messageCodec()
            {
                return io.rookery.api.Codecs.utf8();
            }

            public String initialState(final io.rookery.api.AgentId id)
            {
                return "";
            }

            public String handle(final io.rookery.api.AgentContext ctx, final String state, final String message)
            {
                return state;
            }
        };
        assertThatThrownBy(() -> AgentRegistry.of(List.of(new io.rookery.examples.AccountAgent(), impostor)))
            .hasMessageContaining("two agent types named 'account'");
    }

    private static void add(final JarOutputStream jar, final String name, final byte[] bytes) throws IOException
    {
        jar.putNextEntry(new JarEntry(name));
        final OutputStream out = jar;
        out.write(bytes);
        jar.closeEntry();
    }
}
