package io.rookery.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;
import io.rookery.deploy.BundleStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Agent bundles from the shell: {@code deploy}, {@code deployments}, {@code activate},
 * {@code rollback} and {@code prune}, each through any node's admin API. Exit code 0 on success,
 * 1 when the cluster refused (the reason on stderr), 2 when no node could be reached.
 */
final class DeployCommands
{
    private DeployCommands()
    {
    }

    /** Options every one of them has. */
    abstract static class Base implements Callable<Integer>
    {
        @Option(names = "--via", defaultValue = "127.0.0.1:7103", description = "HTTP endpoint of any node.")
        String via;

        @Option(names = "--json", description = "Print the node's JSON answer as it is.")
        boolean json;

        @Option(names = "--timeout-s", defaultValue = "60",
            description = "How long to wait for every live node to run the new version.")
        int timeoutSeconds;

        final int report(final Http.Reply reply)
        {
            if (reply.status() / 100 == 2)
            {
                System.out.println(reply.body());
                return 0;
            }
            System.err.println("rookery: refused (" + reply.status() + "): " + reason(reply));
            return Main.EXIT_CHECK_FAILED;
        }

        final String awaitEveryNode(final Http http, final String bundle, final String sha)
            throws IOException, InterruptedException
        {
            return DeployCommands.awaitEveryNode(http, via, bundle, sha, timeoutSeconds);
        }

        public final Integer call()
        {
            try
            {
                return run(new Http(Duration.ofSeconds(30), null));
            }
            catch (final IOException ex)
            {
                System.err.println("rookery: cannot reach " + via + ": " + ex.getMessage());
                return Main.EXIT_USAGE;
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                return Main.EXIT_USAGE;
            }
        }

        abstract int run(Http http) throws IOException, InterruptedException;
    }

    /**
     * Deploys a bundle through a node and waits until every live node runs it.
     *
     * @return null when it is deployed and runs everywhere, else why not.
     */
    static String deployAndAwait(final Http http, final String via, final Path bundle, final int timeoutSeconds)
        throws IOException, InterruptedException
    {
        final byte[] bytes = Files.readAllBytes(bundle);
        final String sha = BundleStore.sha256(bytes);
        final Http.Reply reply = http.postBytes(via, "/admin/bundles?sha256=" + sha, bytes, "application/java-archive");
        if (reply.status() != 201)
        {
            return "bundle " + bundle + " refused (" + reply.status() + "): " + reason(reply);
        }
        return awaitEveryNode(http, via, reply.json().path("bundle").asText(), sha, timeoutSeconds);
    }

    /**
     * Waits until every live node runs {@code sha} as the active version of {@code bundle} (or,
     * with a null sha, the version the record names active).
     *
     * @return null once they do, else what is still missing.
     */
    static String awaitEveryNode(
        final Http http, final String via, final String bundle, final String sha, final int timeoutSeconds)
        throws IOException, InterruptedException
    {
        final long deadline = System.nanoTime() + Duration.ofSeconds(timeoutSeconds).toNanos();
        String missing = "no answer";
        while (System.nanoTime() < deadline)
        {
            final Http.Reply reply = http.get(via, "/admin/deployments/" + bundle);
            if (reply.status() == 200)
            {
                final JsonNode view = reply.json();
                final String want = sha != null ? sha : activeSha(view, bundle);
                missing = null;
                for (final JsonNode node : view.path("nodes"))
                {
                    final String runs = node.path("installed").path(bundle).asText(null);
                    if (node.has("error") || want == null || !want.equals(runs))
                    {
                        final String failure = want == null ? null : node.path("failures").path(want).asText(null);
                        missing = "node " + node.path("node").asText() + (failure != null ?
                            " cannot load it: " + failure : " does not run it yet");
                        if (failure != null)
                        {
                            return missing;
                        }
                        break;
                    }
                }
                if (missing == null)
                {
                    return null;
                }
            }
            Thread.sleep(250);
        }
        return missing;
    }

    private static String activeSha(final JsonNode view, final String bundle)
    {
        for (final JsonNode b : view.path("bundles"))
        {
            if (bundle.equals(b.path("bundle").asText()))
            {
                final String active = b.path("active").asText(null);
                for (final JsonNode v : b.path("versions"))
                {
                    if (v.path("version").asText().equals(active))
                    {
                        return v.path("sha256").asText();
                    }
                }
            }
        }
        return null;
    }

    static String reason(final Http.Reply reply)
    {
        try
        {
            final JsonNode body = reply.json();
            return body.path("status").asText("") + ": " + body.path("error").asText(reply.body());
        }
        catch (final RuntimeException ex)
        {
            return reply.body();
        }
    }

    /**
     * @param file a bundle file name, such as {@code rookery-examples.jar}.
     * @return where the bundles shipped with Rookery are ({@code -Drookery.bundles}, set by bin/rookery).
     */
    static Path shippedBundle(final String file)
    {
        final String dir = System.getProperty("rookery.bundles", "bundles");
        return Path.of(dir).resolve(file);
    }

    @Command(name = "deploy", mixinStandardHelpOptions = true,
        description = "Deploy an agent bundle to the running cluster through any node and wait until every " +
            "live node runs it. The bundle is sent with its SHA-256, which every node checks.")
    static final class Deploy extends Base
    {
        @Parameters(index = "0", description = "The bundle jar.")
        Path bundle;

        @Option(names = "--no-activate", description = "Record the version without activating it.")
        boolean noActivate;

        int run(final Http http) throws IOException, InterruptedException
        {
            final byte[] bytes = Files.readAllBytes(bundle);
            final String sha = BundleStore.sha256(bytes);
            final Http.Reply reply = http.postBytes(via, "/admin/bundles?sha256=" + sha +
                (noActivate ? "&activate=false" : ""), bytes, "application/java-archive");
            if (reply.status() != 201)
            {
                System.err.println("rookery: bundle " + bundle + " refused (" + reply.status() + "): " + reason(reply));
                return Main.EXIT_CHECK_FAILED;
            }
            final JsonNode result = reply.json();
            final String name = result.path("bundle").asText();
            if (!noActivate)
            {
                final String missing = awaitEveryNode(http, name, sha);
                if (missing != null)
                {
                    System.err.println("rookery: " + name + "@" + result.path("version").asText() +
                        " is active in the record, but " + missing);
                    return Main.EXIT_CHECK_FAILED;
                }
            }
            if (json)
            {
                System.out.println(reply.body());
            }
            else
            {
                System.out.printf("deployed %s@%s sha256=%s types=%s%s%n", name, result.path("version").asText(),
                    sha, result.path("types"), noActivate ? " (not active)" : ", running on every live node");
            }
            return 0;
        }
    }

    @Command(name = "deployments", mixinStandardHelpOptions = true,
        description = "Show the cluster's bundles, their versions, and what each live node runs.")
    static final class Show extends Base
    {
        @Parameters(index = "0", arity = "0..1", description = "One bundle's name.")
        String name;

        int run(final Http http) throws IOException, InterruptedException
        {
            final Http.Reply reply = http.get(via, name == null ? "/admin/deployments" : "/admin/deployments/" + name);
            if (json || reply.status() != 200)
            {
                return report(reply);
            }
            final JsonNode view = reply.json();
            for (final JsonNode b : view.path("bundles"))
            {
                System.out.printf("%s (active: %s)%n", b.path("bundle").asText(), b.path("active").asText("none"));
                for (final JsonNode v : b.path("versions"))
                {
                    System.out.printf("  %-12s %-10s sha256=%s types=%s%n", v.path("version").asText(),
                        v.path("status").asText(), v.path("sha256").asText().substring(0, 12), v.path("types"));
                }
            }
            for (final JsonNode n : view.path("nodes"))
            {
                if (n.has("error"))
                {
                    System.out.printf("node %s: %s%n", n.path("node").asText(), n.path("error").asText());
                    continue;
                }
                final StringBuilder line = new StringBuilder("node " + n.path("node").asText() + ": agents in memory");
                n.path("versions").forEach(v -> line.append(' ').append(v.path("bundle").asText()).append('@')
                    .append(v.path("version").asText()).append(v.path("active").asBoolean() ? " (active)" : "")
                    .append('=').append(v.path("agents").asInt()));
                n.path("failures").fields().forEachRemaining(f -> line.append("; cannot load ")
                    .append(f.getKey(), 0, 12).append(": ").append(f.getValue().asText()));
                System.out.println(line);
            }
            return 0;
        }
    }

    @Command(name = "activate", mixinStandardHelpOptions = true,
        description = "Activate a deployed version of a bundle (also an earlier one) and wait for every live node.")
    static final class Activate extends Base
    {
        @Parameters(index = "0", description = "Bundle name.")
        String name;

        @Parameters(index = "1", description = "Version.")
        String version;

        int run(final Http http) throws IOException, InterruptedException
        {
            final Http.Reply reply = http.post(via, "/admin/deployments/" + name + "/activate?version=" + version, "");
            final int code = report(reply);
            return code != 0 ? code : awaited(awaitEveryNode(http, name, null));
        }
    }

    @Command(name = "rollback", mixinStandardHelpOptions = true,
        description = "Activate the version a bundle ran before its current one and wait for every live node.")
    static final class Rollback extends Base
    {
        @Parameters(index = "0", description = "Bundle name.")
        String name;

        int run(final Http http) throws IOException, InterruptedException
        {
            final Http.Reply reply = http.post(via, "/admin/deployments/" + name + "/rollback", "");
            final int code = report(reply);
            return code != 0 ? code : awaited(awaitEveryNode(http, name, null));
        }
    }

    @Command(name = "prune", mixinStandardHelpOptions = true,
        description = "Prune a version no live node runs agents on: class loaders closed, bytes deleted.")
    static final class Prune extends Base
    {
        @Parameters(index = "0", description = "Bundle name.")
        String name;

        @Parameters(index = "1", description = "Version.")
        String version;

        int run(final Http http) throws IOException, InterruptedException
        {
            return report(http.post(via, "/admin/deployments/" + name + "/prune?version=" + version, ""));
        }
    }

    private static int awaited(final String missing)
    {
        if (missing != null)
        {
            System.err.println("rookery: the record changed, but " + missing);
            return Main.EXIT_CHECK_FAILED;
        }
        return 0;
    }
}
