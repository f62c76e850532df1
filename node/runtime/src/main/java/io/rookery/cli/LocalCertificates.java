package io.rookery.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.rookery.node.Tls;

/**
 * A throw-away CA and one node certificate for a cluster on this machine (valid for 127.0.0.1 and
 * localhost), made with the JDK's own {@code keytool}, so nothing else needs installing. For
 * {@code rookery local --secure} and tests; a production cluster brings its own certificates.
 *
 * @param ca   PEM CA certificate: what clients trust ({@code ROOKERY_CA_FILE}).
 * @param cert PEM node certificate followed by the CA's.
 * @param key  PEM PKCS#8 private key of the node certificate.
 */
public record LocalCertificates(Path ca, Path cert, Path key)
{
    /**
     * @param dir  where to write {@code ca.pem}, {@code node.pem} and {@code node-key.pem}.
     * @param days validity.
     * @return the files.
     */
    public static LocalCertificates create(final Path dir, final int days)
    {
        try
        {
            Files.createDirectories(dir);
            final Path work = Files.createTempDirectory(dir, "keytool");
            final String password = Long.toHexString(new java.security.SecureRandom().nextLong()) + "pw";
            final Path caStore = work.resolve("ca.p12");
            final Path nodeStore = work.resolve("node.p12");
            final Path request = work.resolve("node.csr");
            final Path ca = dir.resolve("ca.pem");
            final Path signed = work.resolve("node-only.pem");
            keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=rookery local CA", "-ext", "bc:c", "-validity", Integer.toString(days),
                "-keystore", caStore.toString(), "-storetype", "PKCS12", "-storepass", password);
            keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", caStore.toString(), "-storepass", password,
                "-file", ca.toString());
            keytool("-genkeypair", "-alias", "node", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=rookery node", "-validity", Integer.toString(days),
                "-keystore", nodeStore.toString(), "-storetype", "PKCS12", "-storepass", password);
            keytool("-certreq", "-alias", "node", "-keystore", nodeStore.toString(), "-storepass", password,
                "-file", request.toString());
            keytool("-gencert", "-rfc", "-alias", "ca", "-keystore", caStore.toString(), "-storepass", password,
                "-infile", request.toString(), "-outfile", signed.toString(), "-validity", Integer.toString(days),
                "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-ext", "KU=digitalSignature,keyEncipherment",
                "-ext", "EKU=serverAuth,clientAuth");
            final Path cert = dir.resolve("node.pem");
            Files.writeString(cert, Files.readString(signed) + Files.readString(ca));
            final Path key = dir.resolve("node-key.pem");
            Files.writeString(key, Tls.pem(privateKey(nodeStore, password)));
            restrict(key);
            for (final Path file : List.of(caStore, nodeStore, request, signed))
            {
                Files.deleteIfExists(file);
            }
            Files.deleteIfExists(work);
            return new LocalCertificates(ca, cert, key);
        }
        catch (final IOException | GeneralSecurityException ex)
        {
            throw new IllegalStateException("cannot make local certificates in " + dir + ": " + ex.getMessage(), ex);
        }
    }

    private static PrivateKey privateKey(final Path store, final String password)
        throws IOException, GeneralSecurityException
    {
        final KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store))
        {
            keys.load(in, password.toCharArray());
        }
        return (PrivateKey)keys.getKey("node", password.toCharArray());
    }

    /** Makes a file readable and writable by its owner only (where the file system has POSIX modes). */
    static void restrict(final Path file) throws IOException
    {
        try
        {
            Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        }
        catch (final UnsupportedOperationException ignored)
        {
            // Not a POSIX file system: the directory's own permissions protect it.
        }
    }

    private static void keytool(final String... args) throws IOException
    {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes());
        try
        {
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0)
            {
                process.destroyForcibly();
                throw new IOException("keytool " + args[0] + " failed: " + output.strip());
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while keytool ran", ex);
        }
    }
}
