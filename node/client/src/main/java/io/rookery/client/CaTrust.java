package io.rookery.client;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A TLS context that trusts the CA certificates of one PEM file, for talking to nodes whose
 * HTTPS certificates that CA signed.
 */
public final class CaTrust
{
    private CaTrust()
    {
    }

    /**
     * @param caCertificates PEM file of the CA certificate(s) to trust.
     * @return a client context that trusts exactly those.
     * @throws IllegalArgumentException when the file holds no usable certificate.
     */
    public static SSLContext sslContext(final Path caCertificates)
    {
        try
        {
            final Collection<? extends Certificate> certificates = CertificateFactory.getInstance("X.509")
                .generateCertificates(new ByteArrayInputStream(Files.readAllBytes(caCertificates)));
            if (certificates.isEmpty())
            {
                throw new IllegalArgumentException(caCertificates + " holds no certificate");
            }
            final KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            int i = 0;
            for (final Certificate certificate : certificates)
            {
                trust.setCertificateEntry("ca-" + i++, certificate);
            }
            final TrustManagerFactory factory =
                TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(trust);
            final SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, factory.getTrustManagers(), null);
            return context;
        }
        catch (final GeneralSecurityException | IOException ex)
        {
            throw new IllegalArgumentException("cannot use " + caCertificates + " as a CA: " + ex.getMessage(), ex);
        }
    }
}
