package io.rookery.node;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.function.LongSupplier;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * TLS from PEM files: a server's certificate chain and private key (PKCS#8), read again when
 * either file changes, so a renewed certificate takes effect for new connections without a
 * restart; and a client context that trusts one CA.
 */
public final class Tls
{
    private static final long RECHECK_NS = 5_000_000_000L;

    private Tls()
    {
    }

    /**
     * @param certificateChain PEM file of the certificate, then any intermediates.
     * @param privateKey       PEM file of its PKCS#8 private key ({@code BEGIN PRIVATE KEY}).
     * @return a server context whose key is read again when the files change.
     * @throws IllegalArgumentException when the files do not hold a certificate and its key.
     */
    public static SSLContext server(final Path certificateChain, final Path privateKey)
    {
        return server(certificateChain, privateKey, System::nanoTime);
    }

    static SSLContext server(final Path certificateChain, final Path privateKey, final LongSupplier nanoClock)
    {
        try
        {
            final SSLContext context = SSLContext.getInstance("TLS");
            context.init(new javax.net.ssl.KeyManager[] {new ReloadingKeyManager(certificateChain, privateKey,
                nanoClock)}, null, null);
            return context;
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("TLS is not available", ex);
        }
    }

    /**
     * @param caCertificates PEM file of the CA certificate(s) to trust.
     * @return a client context that trusts exactly those.
     */
    public static SSLContext client(final Path caCertificates)
    {
        return io.rookery.client.CaTrust.sslContext(caCertificates);
    }

    static Collection<? extends Certificate> certificates(final Path pem)
    {
        try
        {
            final Collection<? extends Certificate> certificates = CertificateFactory.getInstance("X.509")
                .generateCertificates(new ByteArrayInputStream(Files.readAllBytes(pem)));
            if (certificates.isEmpty())
            {
                throw new IllegalArgumentException(pem + " holds no certificate");
            }
            return certificates;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot read " + pem, ex);
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalArgumentException(pem + " is not a PEM certificate: " + ex.getMessage(), ex);
        }
    }

    static PrivateKey privateKey(final Path pem)
    {
        final String text;
        try
        {
            text = Files.readString(pem, StandardCharsets.US_ASCII);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot read " + pem, ex);
        }
        final int begin = text.indexOf("-----BEGIN PRIVATE KEY-----");
        final int end = text.indexOf("-----END PRIVATE KEY-----");
        if (begin < 0 || end < begin)
        {
            throw new IllegalArgumentException(pem + " holds no PKCS#8 key (-----BEGIN PRIVATE KEY-----); " +
                "convert one with: openssl pkcs8 -topk8 -nocrypt -in key.pem -out key.pk8.pem");
        }
        final byte[] der = Base64.getMimeDecoder().decode(text.substring(begin + 27, end));
        for (final String algorithm : new String[] {"EC", "RSA", "Ed25519"})
        {
            try
            {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            }
            catch (final GeneralSecurityException ex)
            {
                // Try the next algorithm.
            }
        }
        throw new IllegalArgumentException(pem + " holds a key that is neither EC, RSA nor Ed25519");
    }

    /**
     * @param key a private key.
     * @return it as PKCS#8 PEM text.
     */
    public static String pem(final PrivateKey key)
    {
        return "-----BEGIN PRIVATE KEY-----\n" +
            Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(key.getEncoded()) +
            "\n-----END PRIVATE KEY-----\n";
    }

    /** Serves the key of the files as they are now, looking at them at most every 5 s. */
    private static final class ReloadingKeyManager extends X509ExtendedKeyManager
    {
        private static final String ALIAS = "rookery";

        private final Path chainFile;
        private final Path keyFile;
        private final LongSupplier nanoClock;
        private volatile X509ExtendedKeyManager current;
        private volatile FileTime chainTime;
        private volatile FileTime keyTime;
        private volatile long nextCheckNs;

        ReloadingKeyManager(final Path chainFile, final Path keyFile, final LongSupplier nanoClock)
        {
            this.chainFile = chainFile;
            this.keyFile = keyFile;
            this.nanoClock = nanoClock;
            load();
            nextCheckNs = nanoClock.getAsLong() + RECHECK_NS;
        }

        private void load()
        {
            try
            {
                final FileTime chainModified = Files.getLastModifiedTime(chainFile);
                final FileTime keyModified = Files.getLastModifiedTime(keyFile);
                final Certificate[] chain = certificates(chainFile).toArray(Certificate[]::new);
                final KeyStore store = KeyStore.getInstance("PKCS12");
                store.load(null, null);
                store.setKeyEntry(ALIAS, privateKey(keyFile), new char[0], chain);
                final KeyManagerFactory factory = KeyManagerFactory.getInstance(
                    KeyManagerFactory.getDefaultAlgorithm());
                factory.init(store, new char[0]);
                current = (X509ExtendedKeyManager)factory.getKeyManagers()[0];
                chainTime = chainModified;
                keyTime = keyModified;
            }
            catch (final IOException | GeneralSecurityException ex)
            {
                throw new IllegalArgumentException("cannot use " + chainFile + " and " + keyFile + ": " +
                    ex.getMessage(), ex);
            }
        }

        private X509ExtendedKeyManager current()
        {
            final long now = nanoClock.getAsLong();
            if (now - nextCheckNs >= 0)
            {
                nextCheckNs = now + RECHECK_NS;
                try
                {
                    if (!Files.getLastModifiedTime(chainFile).equals(chainTime) ||
                        !Files.getLastModifiedTime(keyFile).equals(keyTime))
                    {
                        load();
                    }
                }
                catch (final IOException | RuntimeException ex)
                {
                    // Half-written files: keep serving the key read last, try again later.
                }
            }
            return current;
        }

        public String[] getClientAliases(final String keyType, final Principal[] issuers)
        {
            return current().getClientAliases(keyType, issuers);
        }

        public String chooseClientAlias(final String[] keyType, final Principal[] issuers, final Socket socket)
        {
            return current().chooseClientAlias(keyType, issuers, socket);
        }

        public String[] getServerAliases(final String keyType, final Principal[] issuers)
        {
            return current().getServerAliases(keyType, issuers);
        }

        public String chooseServerAlias(final String keyType, final Principal[] issuers, final Socket socket)
        {
            return current().chooseServerAlias(keyType, issuers, socket);
        }

        @Override
        public String chooseEngineServerAlias(final String keyType, final Principal[] issuers, final SSLEngine engine)
        {
            return current().chooseEngineServerAlias(keyType, issuers, engine);
        }

        @Override
        public String chooseEngineClientAlias(final String[] keyType, final Principal[] issuers, final SSLEngine engine)
        {
            return current().chooseEngineClientAlias(keyType, issuers, engine);
        }

        public X509Certificate[] getCertificateChain(final String alias)
        {
            return current.getCertificateChain(alias);
        }

        public PrivateKey getPrivateKey(final String alias)
        {
            return current.getPrivateKey(alias);
        }
    }
}
