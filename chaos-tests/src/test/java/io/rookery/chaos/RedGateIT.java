package io.rookery.chaos;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The suite's red gate: with a known bug planted (the target of a durable message skips its
 * inbox dedup), a smoke run must fail and name the broken guarantee. A chaos suite that passes
 * with that bug in place would prove nothing.
 */
@Timeout(600)
class RedGateIT
{
    @TempDir
    Path results;

    @Test
    void aPlantedDedupBugFailsTheSuiteAndIsNamed() throws Exception
    {
        final Map.Entry<Integer, Path> run = ChaosMain.run("smoke", "--red-gate", "--seed", "11",
            "--results", results.toString(), "--base-port", "7700");

        assertThat(run.getKey()).as("exit code of a run with the planted bug").isEqualTo(1);
        final String summary = Files.readString(run.getValue().resolve("summary.txt"));
        assertThat(summary).contains("verdict: FAIL");
        assertThat(summary).containsAnyOf("duplicate from", "applied twice", "money not conserved");
        assertThat(run.getValue().resolve("history.jsonl")).isNotEmptyFile();
        assertThat(run.getValue().resolve("faults.jsonl")).isNotEmptyFile();
    }
}
