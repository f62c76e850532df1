package io.rookery.node;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The binary distribution built by {@code mvn package} runs with only a Java runtime, and the
 * deployment files it carries (systemd unit, container recipe, Kubernetes manifests) say what
 * they must. Docker is not runnable on the build machine, so the image itself is not built here.
 */
@Timeout(120)
class DistributionIT
{
    @TempDir
    Path dir;

    @Test
    void theTarballUnpacksAndItsLauncherRuns() throws Exception
    {
        final Path tarball = Path.of("target/rookery-0.1.0-SNAPSHOT.tar.gz");
        assertThat(tarball).exists();
        run(List.of("tar", "-xzf", tarball.toAbsolutePath().toString(), "-C", dir.toString()));
        final Path home = dir.resolve("rookery-0.1.0-SNAPSHOT");
        assertThat(home.resolve("bin/rookery")).isExecutable();
        assertThat(home.resolve("conf/rookery.conf")).exists();
        assertThat(home.resolve("deploy/systemd/rookery.service")).exists();
        assertThat(home.resolve("deploy/kubernetes/rookery.yaml")).exists();
        assertThat(home.resolve("deploy/container/Containerfile")).exists();
        try (Stream<Path> jars = Files.list(home.resolve("lib")))
        {
            assertThat(jars.map(p -> p.getFileName().toString()).toList())
                .anyMatch(name -> name.startsWith("rookery-node-"))
                .anyMatch(name -> name.startsWith("ratis-server-"))
                .anyMatch(name -> name.startsWith("aeron-driver-"));
        }
        final String help = run(List.of(home.resolve("bin/rookery").toString(), "--help"));
        assertThat(help).contains("node").contains("local").contains("demo").contains("drain");
        final String badConfig = runExpectingFailure(List.of(home.resolve("bin/rookery").toString(), "node",
            "--config", write("typo.conf", "htp-port = 1\n").toString()));
        assertThat(badConfig).contains("unknown setting 'htp-port'");
    }

    @Test
    void kubernetesManifestsProbeReadinessAndDrainBeforeStopping() throws Exception
    {
        final ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        final List<JsonNode> documents = new ArrayList<>();
        final String manifests = Files.readString(Path.of("src/dist/deploy/kubernetes/rookery.yaml"));
        try (var parser = yaml.getFactory().createParser(manifests))
        {
            yaml.readValues(parser, JsonNode.class).forEachRemaining(documents::add);
        }
        final JsonNode service = documents.stream().filter(d -> "Service".equals(d.path("kind").asText())).findFirst()
            .orElseThrow();
        final JsonNode statefulSet = documents.stream().filter(d -> "StatefulSet".equals(d.path("kind").asText()))
            .findFirst().orElseThrow();
        assertThat(service.at("/spec/clusterIP").asText()).as("headless").isEqualTo("None");
        assertThat(statefulSet.at("/spec/serviceName").asText()).isEqualTo(service.at("/metadata/name").asText());
        final JsonNode container = statefulSet.at("/spec/template/spec/containers/0");
        assertThat(container.at("/readinessProbe/httpGet/path").asText()).isEqualTo("/ready");
        assertThat(container.at("/livenessProbe/httpGet/path").asText()).isEqualTo("/health");
        assertThat(container.at("/lifecycle/preStop/exec/command").toString()).contains("drain-local");
        final List<String> envNames = new ArrayList<>();
        container.get("env").forEach(e -> envNames.add(e.get("name").asText()));
        assertThat(envNames).contains("ROOKERY_ID", "ROOKERY_HOST", "ROOKERY_DATA_DIR", "ROOKERY_INITIAL_MEMBERS");
        final List<String> ports = new ArrayList<>();
        container.get("ports").forEach(
            p -> ports.add(p.get("containerPort").asInt() + "/" + p.get("protocol").asText()));
        assertThat(ports).containsExactlyInAnyOrder("7100/TCP", "7101/TCP", "7102/UDP", "7103/TCP");
        assertThat(statefulSet.at("/spec/template/spec/terminationGracePeriodSeconds").asInt())
            .as("room for the drain").isGreaterThan(300);
    }

    @Test
    void theSystemdUnitAndContainerRecipeRunTheNode() throws Exception
    {
        final Map<String, List<String>> unit = ini(Path.of("src/dist/deploy/systemd/rookery.service"));
        assertThat(unit.get("Service.ExecStart")).containsExactly("/opt/rookery/bin/rookery node");
        assertThat(unit.get("Service.ExecStop").get(0)).contains("drain-local").contains("--stop");
        assertThat(unit.get("Service.Environment")).anyMatch(e -> e.startsWith("ROOKERY_CONFIG="));
        assertThat(unit.get("Install.WantedBy")).containsExactly("multi-user.target");
        final String recipe = Files.readString(Path.of("src/dist/deploy/container/Containerfile"));
        assertThat(recipe).contains("ENTRYPOINT [\"/opt/rookery/bin/rookery\", \"node\"]")
            .contains("EXPOSE 7100/tcp 7101/tcp 7102/udp 7103/tcp").contains("FROM eclipse-temurin:17-jre");
    }

    private static Map<String, List<String>> ini(final Path file) throws IOException
    {
        final Map<String, List<String>> values = new java.util.HashMap<>();
        String section = "";
        for (final String raw : Files.readAllLines(file, StandardCharsets.UTF_8))
        {
            final String line = raw.trim();
            if (line.isEmpty() || line.startsWith("#"))
            {
                continue;
            }
            if (line.startsWith("[") && line.endsWith("]"))
            {
                section = line.substring(1, line.length() - 1);
                continue;
            }
            final int eq = line.indexOf('=');
            assertThat(eq).as("key=value line in " + file + ": " + line).isPositive();
            values.computeIfAbsent(section + "." + line.substring(0, eq), k -> new ArrayList<>())
                .add(line.substring(eq + 1));
        }
        return values;
    }

    private Path write(final String name, final String content) throws IOException
    {
        final Path file = dir.resolve(name);
        Files.writeString(file, content);
        return file;
    }

    private static String run(final List<String> command) throws Exception
    {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(out).isZero();
        return out;
    }

    private static String runExpectingFailure(final List<String> command) throws Exception
    {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(out).isNotZero();
        return out;
    }
}
