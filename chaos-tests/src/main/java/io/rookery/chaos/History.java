package io.rookery.chaos;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.rookery.api.Codecs;

/**
 * Every client event of a run, in the order they happened: each operation's invocation and its
 * completion (ok, fail: definitely not applied, info: unknown). Written as JSON lines.
 */
public final class History
{
    private final long originNs = System.nanoTime();
    private final List<Map<String, Object>> events = new ArrayList<>();

    /**
     * @return nanoseconds since the run started (the clock of every event and check).
     */
    public long now()
    {
        return System.nanoTime() - originNs;
    }

    /**
     * Records an event.
     *
     * @param process  client thread.
     * @param workload workload name.
     * @param type     invoke, ok, fail or info.
     * @param f        operation.
     * @param key      agent key.
     * @param value    argument or result.
     * @param timeNs   when.
     */
    public synchronized void record(
        final int process, final String workload, final String type, final String f, final String key,
        final Object value, final long timeNs)
    {
        final Map<String, Object> event = new LinkedHashMap<>();
        event.put("index", events.size());
        event.put("timeNs", timeNs);
        event.put("process", process);
        event.put("workload", workload);
        event.put("type", type);
        event.put("f", f);
        event.put("key", key);
        event.put("value", value);
        events.add(event);
    }

    /** @return number of events. */
    public synchronized int size()
    {
        return events.size();
    }

    /**
     * @param file where to write the events.
     * @throws IOException when it cannot be written.
     */
    public synchronized void write(final Path file) throws IOException
    {
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8))
        {
            for (final Map<String, Object> event : events)
            {
                out.write(new String(Codecs.toJson(event), StandardCharsets.UTF_8));
                out.write('\n');
            }
        }
    }
}
