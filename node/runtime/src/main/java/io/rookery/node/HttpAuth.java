package io.rookery.node;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Who may call a node's HTTP API: bearer tokens read from a token file, each with a role.
 * <pre>
 * # role  token
 * admin   3q2+7w...        may do everything
 * client  Zm9vYmFy...      may ask, tell and read agents
 * </pre>
 * The file is read again when it changes (checked at most once a second), so tokens are rotated
 * by editing it on every node: add the new one, move the callers, remove the old one. Tokens are
 * compared in constant time and never logged or echoed.
 */
final class HttpAuth
{
    /** What a request may need. */
    enum Role
    {
        /** Probes: no token needed. */
        OPEN,
        /** Agent traffic: ask, tell, read. */
        CLIENT,
        /** Everything, including drain, shutdown, deploy and cluster internals. */
        ADMIN
    }

    /** The outcome of a check: null reason when allowed. */
    record Verdict(int code, String reason)
    {
        static final Verdict ALLOWED = new Verdict(200, null);

        boolean allowed()
        {
            return reason == null;
        }
    }

    private static final long RECHECK_NS = 1_000_000_000L;

    private final Path file;
    private final java.util.function.LongSupplier nanoClock;
    private volatile Map<String, Role> tokens;
    private volatile FileTime loadedAt;
    private volatile long nextCheckNs;

    HttpAuth(final Path file, final java.util.function.LongSupplier nanoClock)
    {
        this.file = file;
        this.nanoClock = nanoClock;
        reload();
        nextCheckNs = nanoClock.getAsLong() + RECHECK_NS;
    }

    /**
     * @param tokenFile the token file, or null for no authentication.
     * @return the check, or null when every caller is let in.
     * @throws IllegalArgumentException when the file cannot be read or holds no token.
     */
    static HttpAuth fromFile(final Path tokenFile)
    {
        return tokenFile == null ? null : new HttpAuth(tokenFile, System::nanoTime);
    }

    /**
     * @param authorization the request's Authorization header, or null.
     * @param needed        what the request needs.
     * @return whether it may go on, else the HTTP code (401 no or unknown token, 403 not enough)
     * and a reason that names no token.
     */
    Verdict check(final String authorization, final Role needed)
    {
        if (needed == Role.OPEN)
        {
            return Verdict.ALLOWED;
        }
        maybeReload();
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7))
        {
            return new Verdict(401, "missing bearer token");
        }
        final Role role = roleOf(authorization.substring(7).trim());
        if (role == null)
        {
            return new Verdict(401, "unknown token");
        }
        if (needed == Role.ADMIN && role != Role.ADMIN)
        {
            return new Verdict(403, "this token may not do that");
        }
        return Verdict.ALLOWED;
    }

    /** @return an admin token, which the node presents to its peers. */
    String peerToken()
    {
        for (final Map.Entry<String, Role> entry : tokens.entrySet())
        {
            if (entry.getValue() == Role.ADMIN)
            {
                return entry.getKey();
            }
        }
        return null;
    }

    private Role roleOf(final String presented)
    {
        final byte[] candidate = presented.getBytes(StandardCharsets.UTF_8);
        Role found = null;
        // Compared against every token, in constant time each, so timing tells nothing.
        for (final Map.Entry<String, Role> entry : tokens.entrySet())
        {
            if (MessageDigest.isEqual(candidate, entry.getKey().getBytes(StandardCharsets.UTF_8)))
            {
                found = entry.getValue();
            }
        }
        return found;
    }

    private void maybeReload()
    {
        final long now = nanoClock.getAsLong();
        if (now - nextCheckNs < 0)
        {
            return;
        }
        nextCheckNs = now + RECHECK_NS;
        try
        {
            if (!Files.getLastModifiedTime(file).equals(loadedAt))
            {
                reload();
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            // Keep the tokens last read: a file being rewritten must not lock everyone out.
        }
    }

    private synchronized void reload()
    {
        try
        {
            final FileTime modified = Files.getLastModifiedTime(file);
            tokens = parse(Files.readString(file, StandardCharsets.UTF_8), file);
            loadedAt = modified;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot read token file " + file, ex);
        }
    }

    static Map<String, Role> parse(final String text, final Path file)
    {
        final Map<String, Role> parsed = new HashMap<>();
        int lineNo = 0;
        for (final String raw : text.split("\n"))
        {
            lineNo++;
            final String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#"))
            {
                continue;
            }
            final String[] parts = line.split("\\s+");
            if (parts.length != 2 || (!"admin".equals(parts[0]) && !"client".equals(parts[0])))
            {
                throw new IllegalArgumentException(file + " line " + lineNo +
                    ": expected '<admin|client> <token>'");
            }
            if (parts[1].length() < 16)
            {
                throw new IllegalArgumentException(file + " line " + lineNo + ": a token has at least 16 characters");
            }
            parsed.put(parts[1], Role.valueOf(parts[0].toUpperCase(Locale.ROOT)));
        }
        if (parsed.isEmpty())
        {
            throw new IllegalArgumentException(file + " holds no token");
        }
        return Map.copyOf(parsed);
    }
}
