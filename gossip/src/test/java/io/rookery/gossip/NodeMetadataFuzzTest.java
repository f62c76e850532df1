package io.rookery.gossip;

import java.nio.ByteBuffer;

import com.code_intelligence.jazzer.junit.FuzzTest;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hostile gossip metadata: a member's metadata arrives from the network, so any bytes must decode
 * to metadata or be refused with {@link IllegalArgumentException}, never another exception or an
 * allocation the bytes do not pay for; what decodes encodes back to the same metadata.
 * <p>
 * Without {@code JAZZER_FUZZ} this replays the inputs kept under
 * {@code src/test/resources/io/rookery/gossip/NodeMetadataFuzzTestInputs}; {@code bin/fuzz} runs it
 * coverage-guided.
 */
class NodeMetadataFuzzTest
{
    @FuzzTest
    void anyBytesDecodeOrAreRefusedWithAClearError(final byte[] input)
    {
        final NodeMetadata metadata;
        try
        {
            metadata = NodeMetadataCodec.decode(ByteBuffer.wrap(input));
        }
        catch (final IllegalArgumentException ex)
        {
            assertThat(ex.getMessage()).isNotBlank();
            return;
        }
        assertThat(NodeMetadataCodec.decode(NodeMetadataCodec.encode(metadata))).usingRecursiveComparison()
            .isEqualTo(metadata);
    }
}
