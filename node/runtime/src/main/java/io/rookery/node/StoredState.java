package io.rookery.node;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * How an agent's state is stored: a format byte, the version of the bundle whose code wrote it
 * (empty for a type on the node's classpath), then the bytes of the type's state codec. The version
 * lets a later version of the type read state an earlier one wrote
 * ({@link io.rookery.api.AgentType#migrate}).
 * <pre>
 *   0      1            2 .. 2+n      2+n ..
 *   [0x01] [n: 0..255]  [version]     [codec bytes]
 * </pre>
 */
final class StoredState
{
    static final byte FORMAT = 1;
    private static final int MAX_VERSION_BYTES = 255;

    private StoredState()
    {
    }

    /**
     * @param version the writer's bundle version, or null for a classpath type.
     * @param state   the state codec's bytes.
     * @return the stored value.
     */
    static byte[] wrap(final String version, final byte[] state)
    {
        final byte[] v = version == null ? new byte[0] : version.getBytes(StandardCharsets.UTF_8);
        if (v.length > MAX_VERSION_BYTES)
        {
            throw new IllegalArgumentException("bundle version longer than 255 bytes: " + version);
        }
        final byte[] out = new byte[2 + v.length + state.length];
        out[0] = FORMAT;
        out[1] = (byte)v.length;
        System.arraycopy(v, 0, out, 2, v.length);
        System.arraycopy(state, 0, out, 2 + v.length, state.length);
        return out;
    }

    /**
     * @param stored a stored value.
     * @return the version of the bundle that wrote it, or null when a classpath type did.
     */
    static String writtenBy(final byte[] stored)
    {
        check(stored);
        final int n = stored[1] & 0xFF;
        return n == 0 ? null : new String(stored, 2, n, StandardCharsets.UTF_8);
    }

    /**
     * @param stored a stored value.
     * @return the state codec's bytes in it.
     */
    static byte[] state(final byte[] stored)
    {
        check(stored);
        return Arrays.copyOfRange(stored, 2 + (stored[1] & 0xFF), stored.length);
    }

    private static void check(final byte[] stored)
    {
        if (stored.length < 2 || stored[0] != FORMAT || stored.length < 2 + (stored[1] & 0xFF))
        {
            throw new IllegalStateException("stored agent state of unknown format " +
                (stored.length == 0 ? "(empty)" : Integer.toString(stored[0] & 0xFF)));
        }
    }
}
