package io.rookery.node;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import io.rookery.api.Codecs;

/**
 * The {@code "agents":[{"key":..,"state":..},...]} part of a list answer, written as agents are
 * added, both by a partition's leader and by the node that gathers the partitions' pages.
 */
final class AgentList
{
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private int size;

    /**
     * @param key       the agent's key.
     * @param stateJson its state as JSON.
     */
    void add(final String key, final byte[] stateJson)
    {
        out.write(size++ == 0 ? '[' : ',');
        out.writeBytes(("{\"key\":" + new String(Codecs.toJson(key), StandardCharsets.UTF_8) + ",\"state\":")
            .getBytes(StandardCharsets.UTF_8));
        out.writeBytes(stateJson);
        out.write('}');
    }

    /** @return agents added. */
    int size()
    {
        return size;
    }

    /** @return bytes written so far. */
    int bytes()
    {
        return out.size();
    }

    /**
     * @param rest what follows the list in the answer's object, starting with ',' (or empty).
     * @return the answer: {@code {"agents":[...]REST}}.
     */
    byte[] answer(final String rest)
    {
        final ByteArrayOutputStream answer = new ByteArrayOutputStream(out.size() + rest.length() + 16);
        answer.writeBytes("{\"agents\":".getBytes(StandardCharsets.UTF_8));
        if (size == 0)
        {
            answer.writeBytes("[]".getBytes(StandardCharsets.UTF_8));
        }
        else
        {
            answer.writeBytes(out.toByteArray());
            answer.write(']');
        }
        answer.writeBytes((rest + "}").getBytes(StandardCharsets.UTF_8));
        return answer.toByteArray();
    }
}
