package io.rookery.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Pattern;

/**
 * A node's bundle bytes, one file per bundle named by the SHA-256 of its bytes, plus the note of
 * which bundles were active when it last knew, so a restarted node serves its bundles' types
 * before it can read the cluster's record.
 */
public final class BundleStore
{
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final String ACTIVE_FILE = "active.properties";

    private final Path dir;

    /**
     * @param dir the directory to keep bundles in; created when missing.
     */
    public BundleStore(final Path dir)
    {
        this.dir = dir;
        try
        {
            Files.createDirectories(dir);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot create bundle directory " + dir, ex);
        }
    }

    /**
     * @param bytes some bytes.
     * @return their SHA-256, lower-case hex.
     */
    public static String sha256(final byte[] bytes)
    {
        try
        {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException("the JDK has no SHA-256", ex);
        }
    }

    /**
     * @param sha256 a string.
     * @return whether it spells a SHA-256 as this store names bundles.
     */
    public static boolean isSha256(final String sha256)
    {
        return sha256 != null && SHA256.matcher(sha256).matches();
    }

    /**
     * Keeps bytes whose hash the caller has checked.
     *
     * @param sha256 their hash.
     * @param bytes  the bundle.
     * @return the file holding them.
     */
    public Path put(final String sha256, final byte[] bytes)
    {
        final Path target = path(sha256);
        if (Files.exists(target))
        {
            return target;
        }
        try
        {
            final Path temp = Files.createTempFile(dir, sha256, ".part");
            Files.write(temp, bytes);
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return target;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot store bundle " + sha256, ex);
        }
    }

    /**
     * @param sha256 a bundle's hash.
     * @return its file (which may not exist).
     */
    public Path path(final String sha256)
    {
        if (!isSha256(sha256))
        {
            throw new IllegalArgumentException("not a SHA-256: " + sha256);
        }
        return dir.resolve(sha256 + ".jar");
    }

    /**
     * @param sha256 a bundle's hash.
     * @return whether this node has its bytes.
     */
    public boolean has(final String sha256)
    {
        return isSha256(sha256) && Files.isRegularFile(path(sha256));
    }

    /**
     * @param sha256 a bundle's hash.
     * @return its bytes, or null when this node does not have them.
     */
    public byte[] read(final String sha256)
    {
        if (!has(sha256))
        {
            return null;
        }
        try
        {
            return Files.readAllBytes(path(sha256));
        }
        catch (final IOException ex)
        {
            return null;
        }
    }

    /**
     * Deletes a bundle's bytes.
     *
     * @param sha256 its hash.
     */
    public void delete(final String sha256)
    {
        try
        {
            Files.deleteIfExists(path(sha256));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot delete bundle " + sha256, ex);
        }
    }

    /**
     * Notes which bundle is active for each bundle name, for the next start.
     *
     * @param active bundle name to hash.
     */
    public void rememberActive(final Map<String, String> active)
    {
        final StringBuilder text = new StringBuilder("# bundle name = SHA-256 of its active version, as last known\n");
        active.forEach((name, sha) -> text.append(name).append('=').append(sha).append('\n'));
        try
        {
            final Path temp = Files.createTempFile(dir, "active", ".part");
            Files.writeString(temp, text, StandardCharsets.UTF_8);
            Files.move(temp, dir.resolve(ACTIVE_FILE), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot note active bundles in " + dir, ex);
        }
    }

    /** @return what {@link #rememberActive(Map)} last noted, empty when nothing. */
    public Map<String, String> rememberedActive()
    {
        final Path file = dir.resolve(ACTIVE_FILE);
        final Map<String, String> active = new LinkedHashMap<>();
        if (!Files.isRegularFile(file))
        {
            return active;
        }
        final Properties props = new Properties();
        try (var reader = Files.newBufferedReader(file, StandardCharsets.UTF_8))
        {
            props.load(reader);
        }
        catch (final IOException ex)
        {
            return active;
        }
        props.stringPropertyNames().stream().sorted().forEach(name -> active.put(name, props.getProperty(name)));
        return active;
    }
}
