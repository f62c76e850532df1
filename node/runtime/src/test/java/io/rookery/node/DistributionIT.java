package io.rookery.node;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The binary distribution built by {@code mvn package} runs with only a Java runtime, and the
 * deployment files it carries (systemd unit, container recipe, Kubernetes manifests) say what
 * they must: systemd's checker accepts the unit, the manifests match the Kubernetes API schema and
 * the container's entrypoint script runs. No container engine runs on the build machine and no
 * image registry is reachable from it, so the image itself is not built here.
 */
@Timeout(300)
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
                .anyMatch(name -> name.startsWith("aeron-driver-"))
                .as("the example agents are bundles to deploy, not part of the node")
                .noneMatch(name -> name.startsWith("rookery-example"));
        }
        assertThat(home.resolve("bundles/rookery-examples.jar")).exists();
        assertThat(home.resolve("bundles/rookery-example-greeter-v1.jar")).exists();
        assertThat(home.resolve("bundles/rookery-example-greeter-v2.jar")).exists();
        final String help = run(List.of(home.resolve("bin/rookery").toString(), "--help"));
        assertThat(help).contains("node").contains("local").contains("demo").contains("drain").contains("deploy");
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
        assertThat(envNames).contains("ROOKERY_ID", "ROOKERY_HOST", "ROOKERY_DATA_DIR", "ROOKERY_RAFT_PORT");
        // The start script, run for real with the node replaced by a print of what it would get:
        // the first three pods form the cluster, a pod added by scaling up joins it.
        final String script = container.at("/command/2").asText()
            .replace("exec /opt/rookery/bin/rookery node",
                "echo \"initial=$ROOKERY_INITIAL_MEMBERS join=$ROOKERY_JOIN\"");
        assertThat(sh(script, Map.of("POD_NAME", "rookery-1")))
            .startsWith("initial=rookery-0@rookery-0.rookery:7100,").endsWith("join=");
        assertThat(sh(script, Map.of("POD_NAME", "rookery-4")))
            .startsWith("initial= join=rookery-0.rookery:7100,");
        final JsonNode budget = documents.stream().filter(d -> "PodDisruptionBudget".equals(d.path("kind").asText()))
            .findFirst().orElseThrow();
        assertThat(budget.at("/spec/maxUnavailable").asInt()).isEqualTo(1);
        assertThat(budget.at("/spec/selector/matchLabels/app").asText()).isEqualTo("rookery");
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
        assertThat(recipe).contains("EXPOSE 7100/tcp 7101/tcp 7102/udp 7103/tcp")
            .contains("FROM eclipse-temurin:17-jre").contains("ROOKERY_RAFT_PORT=7101")
            .contains("ROOKERY_HTTP_PORT=7103");
        // The entrypoint's shell, run for real with the node replaced by a print: the host defaults
        // to the container's own address, and arguments pass through.
        final String entrypoint = recipe.lines().filter(l -> l.startsWith("ENTRYPOINT")).findFirst().orElseThrow();
        final JsonNode exec = new ObjectMapper().readTree(entrypoint.substring("ENTRYPOINT".length()).trim());
        assertThat(exec.get(0).asText()).isEqualTo("/bin/sh");
        final String command = exec.get(2).asText().replace("exec /opt/rookery/bin/rookery node",
            "echo \"host=$ROOKERY_HOST args=$*\"");
        assertThat(sh(command, Map.of())).matches("host=\\S+ args=");
        assertThat(sh(command, Map.of("ROOKERY_HOST", "n1.example"))).isEqualTo("host=n1.example args=");
        final Properties shipped = new Properties();
        try (var reader = Files.newBufferedReader(Path.of("src/dist/conf/rookery.conf")))
        {
            shipped.load(reader);
        }
        assertThat(shipped.getProperty("raft-port")).as("a fixed Raft port in the shipped config").isEqualTo("7101");
        assertThat(shipped.getProperty("http-port")).isEqualTo("7103");
    }

    /**
     * systemd's own checker reads the unit as shipped, with only its install prefix pointed at the
     * unpacked distribution (it checks that the commands exist and are executable): no warning,
     * no error. A value it would silently cut, such as an unquoted {@code Environment} with spaces,
     * fails here.
     */
    @Test
    void systemdAcceptsTheUnit() throws Exception
    {
        Assumptions.assumeTrue(onPath("systemd-analyze"), "systemd-analyze is not installed (package systemd)");
        run(List.of("tar", "-xzf", Path.of("target/rookery-0.1.0-SNAPSHOT.tar.gz").toAbsolutePath().toString(),
            "-C", dir.toString()));
        final Path home = dir.resolve("rookery-0.1.0-SNAPSHOT").toAbsolutePath();
        final String unit = Files.readString(Path.of("src/dist/deploy/systemd/rookery.service"));
        assertThat(unit).contains("/opt/rookery/bin/rookery");
        final Path installed = write("rookery.service", unit.replace("/opt/rookery/", home + "/"));
        final String out = run(List.of("systemd-analyze", "verify", "--man=no", installed.toString()));
        assertThat(out.trim()).as("what systemd-analyze verify says of the unit").isEmpty();
    }

    /**
     * Every document of the shipped manifests validates against the Kubernetes API schema of its
     * kind (kubernetes-models, installed from the npm registry into target/), with no cluster.
     */
    @Test
    void theKubernetesManifestsMatchTheApiSchema() throws Exception
    {
        Assumptions.assumeTrue(onPath("node") && onPath("npm"), "Node.js and npm are not installed");
        final Path work = Path.of("target/manifest-check").toAbsolutePath();
        Files.createDirectories(work);
        for (final String file : List.of("package.json", "validate-kubernetes.mjs"))
        {
            Files.copy(Path.of("src/test/deploy", file), work.resolve(file),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        if (!Files.isDirectory(work.resolve("node_modules/kubernetes-models")))
        {
            run(List.of("npm", "install", "--no-audit", "--no-fund", "--silent", "--prefix", work.toString()));
        }
        final String manifests = Path.of("src/dist/deploy/kubernetes/rookery.yaml").toAbsolutePath().toString();
        final String out = run(List.of("node", work.resolve("validate-kubernetes.mjs").toString(), manifests));
        assertThat(out).contains("valid apps/v1 StatefulSet rookery").contains("valid v1 Service rookery")
            .contains("valid policy/v1 PodDisruptionBudget rookery").doesNotContain("INVALID");
        // The check itself catches a broken manifest.
        final Path broken = write("broken.yaml", Files.readString(Path.of(manifests))
            .replaceFirst("replicas: 3", "replicas: three"));
        assertThat(runExpectingFailure(List.of("node", work.resolve("validate-kubernetes.mjs").toString(),
            broken.toString()))).contains("INVALID apps/v1 StatefulSet rookery").contains("replicas");
    }

    private static boolean onPath(final String tool)
    {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator))
            .anyMatch(d -> Files.isExecutable(Path.of(d, tool)));
    }

    /** Runs a shell script with extra environment; returns its trimmed standard output. */
    private static String sh(final String script, final Map<String, String> env) throws Exception
    {
        final ProcessBuilder builder = new ProcessBuilder("/bin/sh", "-c", script).redirectErrorStream(true);
        builder.environment().remove("ROOKERY_HOST");
        builder.environment().putAll(env);
        final Process process = builder.start();
        final String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertThat(process.waitFor()).as(out).isZero();
        return out;
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
        assertThat(process.waitFor(180, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(out).isZero();
        return out;
    }

    private static String runExpectingFailure(final List<String> command) throws Exception
    {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(180, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(out).isNotZero();
        return out;
    }
}
