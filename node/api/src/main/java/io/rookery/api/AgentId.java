package io.rookery.api;

import java.nio.charset.StandardCharsets;

/**
 * Address of an agent: its type and its key. Agents are virtual: every {@code AgentId} names an
 * agent that exists conceptually forever; the runtime activates it where its partition is led
 * when a message arrives.
 *
 * @param type the agent type's name, as registered ({@link AgentType#name()}).
 * @param key  the agent's key within its type: any non-empty text.
 */
public record AgentId(String type, String key)
{
    /** Longest type name or key, in UTF-8 bytes. */
    public static final int MAX_LENGTH = 512;

    /**
     * Validates the fields.
     *
     * @throws IllegalArgumentException naming the bad field.
     */
    public AgentId
    {
        check("type", type);
        check("key", key);
        for (int i = 0; i < type.length(); i++)
        {
            final char c = type.charAt(i);
            if (!(Character.isLetterOrDigit(c) || c == '-' || c == '_' || c == '.'))
            {
                throw new IllegalArgumentException("agent type may only hold letters, digits, '-', '_' and '.': '" +
                    type + "'");
            }
        }
    }

    /**
     * @param type agent type name.
     * @param key  agent key.
     * @return the id.
     */
    public static AgentId of(final String type, final String key)
    {
        return new AgentId(type, key);
    }

    public String toString()
    {
        return type + "/" + key;
    }

    /**
     * Written out rather than left to the record's generated method: ids are looked up in a map on
     * every turn, and the generated form dispatches through method handles.
     */
    public boolean equals(final Object other)
    {
        return this == other || other instanceof AgentId that && type.equals(that.type) && key.equals(that.key);
    }

    public int hashCode()
    {
        return 31 * type.hashCode() + key.hashCode();
    }

    private static void check(final String what, final String value)
    {
        if (value == null || value.isEmpty())
        {
            throw new IllegalArgumentException("agent " + what + " must not be empty");
        }
        // A UTF-8 char takes at most 3 bytes, so short text needs no encoding to be checked.
        if (value.length() > MAX_LENGTH / 3 && value.getBytes(StandardCharsets.UTF_8).length > MAX_LENGTH)
        {
            throw new IllegalArgumentException("agent " + what + " longer than " + MAX_LENGTH + " bytes");
        }
    }
}
