package io.rookery.node;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.rookery.testing.TestCluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The dashboard every node serves, loaded in a real headless browser (Debian's Chromium,
 * installed with apt-get when missing): it shows the members, every partition's leader, and a
 * node that stops disappears from it.
 */
@Timeout(600)
class DashboardIT
{
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");

    @TempDir
    Path profile;

    private TestCluster cluster;

    @BeforeAll
    static void ensureChromium() throws Exception
    {
        if (!Files.isExecutable(CHROMIUM))
        {
            final Process install = new ProcessBuilder("apt-get", "install", "-y", "-qq", "chromium")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            assertThat(install.waitFor(480, TimeUnit.SECONDS)).as("apt-get install chromium finished").isTrue();
        }
        assertThat(CHROMIUM).as("Debian's chromium").isExecutable();
    }

    @AfterEach
    void stop()
    {
        if (cluster != null)
        {
            cluster.close();
        }
    }

    @Test
    void theDashboardShowsMembersAndLeadersAndNoticesAStoppedNode() throws Exception
    {
        cluster = TestCluster.start(3, ctx -> { });
        cluster.awaitSettled(Duration.ofSeconds(60));
        final String url = "http://" + cluster.node(0).httpEndpoint() + "/dashboard";
        cluster.node(1).deploy(Files.readAllBytes(Path.of("target/bundles/rookery-example-greeter-v1.jar")), true);

        final String before = render(url);
        assertThat(before).contains("id=\"member-n1\"").contains("id=\"member-n2\"").contains("id=\"member-n3\"");
        assertThat(before).contains("<span id=\"member-count\">3</span>");
        for (int p = 0; p < 256; p++)
        {
            assertThat(before).contains("id=\"partition-" + p + "\"");
        }
        assertThat(before).contains("id=\"group-g-n1\"").contains("id=\"group-g-n2\"").contains("id=\"group-g-n3\"")
            .contains("<span id=\"group-count\">3</span>").contains("<span id=\"move-count\">0</span>");
        assertThat(before).doesNotContain(">none<").contains("turns on this node");
        assertThat(before).contains("<span id=\"bundle-count\">1</span>").contains("id=\"bundle-greeter\"")
            .contains("1.0.0 active (greeter)");

        cluster.stopNode(2);
        cluster.await("the others see n3 gone", Duration.ofSeconds(30),
            () -> cluster.node(0).membership().members().size() == 2);
        cluster.awaitSettled(Duration.ofSeconds(60));

        final String after = render(url);
        assertThat(after).contains("<span id=\"member-count\">2</span>");
        assertThat(after).contains("id=\"member-n1\"").contains("id=\"member-n2\"").doesNotContain("id=\"member-n3\"");
    }

    @Test
    void theAgentBrowserListsTheAgentsThatMatchACondition() throws Exception
    {
        cluster = TestCluster.start(3, ctx -> { });
        cluster.awaitSettled(Duration.ofSeconds(60));
        try (io.rookery.client.RookeryClient client = io.rookery.client.RookeryClient.connect(
            List.of(cluster.node(0).httpEndpoint()), Duration.ofSeconds(10)))
        {
            for (int i = 1; i <= 12; i++)
            {
                client.ask("counter", "browse-" + i, "{\"op\":\"increment\",\"by\":" + i + "}").join();
            }
        }
        final String url = "http://" + cluster.node(2).httpEndpoint() + "/dashboard?browse=counter&where=" +
            java.net.URLEncoder.encode("$ > 9", StandardCharsets.UTF_8);
        final String dom = render(url);
        assertThat(dom).contains("id=\"agent-browse-10\"").contains("id=\"agent-browse-11\"")
            .contains("id=\"agent-browse-12\"").doesNotContain("id=\"agent-browse-9\"")
            .contains("3 agents, the last page");
    }

    private String render(final String url) throws Exception
    {
        final Process browser = new ProcessBuilder(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox",
                "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile,
                "--virtual-time-budget=5000", "--dump-dom", url))
            .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        final String dom = new String(browser.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(browser.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return dom;
    }
}
