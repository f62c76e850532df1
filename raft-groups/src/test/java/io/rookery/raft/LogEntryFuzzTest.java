package io.rookery.raft;

import com.code_intelligence.jazzer.junit.FuzzTest;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hostile replicated bytes: a log entry, a genesis step and a range chunk (which arrives from the
 * source group's leader over Aeron) must each decode or be refused with
 * {@link IllegalStateException}, never another exception, and never allocate more than the bytes
 * they came in could describe.
 * <p>
 * Without {@code JAZZER_FUZZ} this replays the inputs kept under
 * {@code src/test/resources/io/rookery/raft/LogEntryFuzzTestInputs}; {@code bin/fuzz} runs it
 * coverage-guided.
 */
class LogEntryFuzzTest
{
    @FuzzTest
    void anyBytesDecodeAsAnEntryAChunkOrAGenesisOrAreRefusedWithAClearError(final byte[] input)
    {
        final long[] seen = new long[1];
        try
        {
            LogEntry.decode(input, new LogEntry.Visitor()
            {
                public void put(final int partition, final byte[] key, final byte[] value)
                {
                    seen[0] += key.length + value.length;
                }

                public void delete(final int partition, final byte[] key)
                {
                    seen[0] += key.length;
                }

                public void control(final LogEntry.Control control)
                {
                    seen[0] += control.data().length;
                }
            });
            assertThat(seen[0]).isLessThanOrEqualTo(input.length);
        }
        catch (final IllegalStateException ex)
        {
            assertThat(ex.getMessage()).isNotBlank();
        }

        seen[0] = 0;
        try
        {
            RangeChunks.forEach(input, (key, value) ->
            {
                seen[0] += key.length + value.length;
                return true;
            });
            assertThat(seen[0]).isLessThanOrEqualTo(input.length);
        }
        catch (final IllegalStateException ex)
        {
            assertThat(ex.getMessage()).isNotBlank();
        }

        try
        {
            final LogEntry.Genesis genesis = LogEntry.Genesis.decode(input);
            assertThat(genesis.partitions().size() * 2L).isLessThanOrEqualTo(input.length);
        }
        catch (final IllegalStateException ex)
        {
            assertThat(ex.getMessage()).isNotBlank();
        }
    }
}
