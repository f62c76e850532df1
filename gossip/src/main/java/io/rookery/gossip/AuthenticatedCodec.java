package io.rookery.gossip;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import io.scalecube.cluster.transport.api.Message;
import io.scalecube.cluster.transport.api.MessageCodec;

/**
 * Gossip messages sealed with the cluster secret: each carries an HMAC-SHA256 of its bytes under a
 * key derived from the secret, and a message whose MAC does not verify is never decoded. A node
 * without the secret can neither be understood nor understand: it never becomes a member.
 * (Authenticated, not encrypted; gossip carries endpoints and states, no agent data.)
 */
public final class AuthenticatedCodec implements MessageCodec
{
    private static final int MAC_BYTES = 32;
    private static final String ALGORITHM = "HmacSHA256";

    private final MessageCodec inner;
    private final SecretKeySpec key;
    private final AtomicLong rejected = new AtomicLong();
    private final ThreadLocal<Mac> macs;

    /**
     * @param inner  the codec of the messages themselves.
     * @param secret the cluster secret.
     */
    public AuthenticatedCodec(final MessageCodec inner, final byte[] secret)
    {
        this.inner = inner;
        this.key = new SecretKeySpec(derive(secret, "rookery gossip v1"), ALGORITHM);
        this.macs = ThreadLocal.withInitial(() ->
        {
            try
            {
                final Mac mac = Mac.getInstance(ALGORITHM);
                mac.init(key);
                return mac;
            }
            catch (final GeneralSecurityException ex)
            {
                throw new IllegalStateException("HMAC-SHA256 is not available", ex);
            }
        });
    }

    /**
     * @param secret  the cluster secret.
     * @param purpose what the key is for; each purpose gets its own key.
     * @return a 32-byte key for that purpose.
     */
    public static byte[] derive(final byte[] secret, final String purpose)
    {
        try
        {
            final Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(new SecretKeySpec(secret, ALGORITHM));
            return mac.doFinal(purpose.getBytes(StandardCharsets.UTF_8));
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("HMAC-SHA256 is not available", ex);
        }
    }

    /** @return messages dropped because their MAC did not verify. */
    public long rejected()
    {
        return rejected.get();
    }

    @Override
    public void serialize(final Message message, final OutputStream stream) throws Exception
    {
        final ByteArrayOutputStream body = new ByteArrayOutputStream(256);
        inner.serialize(message, body);
        final byte[] bytes = body.toByteArray();
        stream.write(macs.get().doFinal(bytes));
        stream.write(bytes);
    }

    @Override
    public Message deserialize(final InputStream stream) throws Exception
    {
        final byte[] all = stream.readAllBytes();
        if (all.length < MAC_BYTES)
        {
            rejected.incrementAndGet();
            throw new IOException("gossip message without a MAC: not from this cluster");
        }
        final byte[] body = Arrays.copyOfRange(all, MAC_BYTES, all.length);
        final byte[] expected = macs.get().doFinal(body);
        if (!MessageDigest.isEqual(expected, Arrays.copyOf(all, MAC_BYTES)))
        {
            rejected.incrementAndGet();
            throw new IOException("gossip message whose MAC does not verify: sent without this cluster's secret");
        }
        return inner.deserialize(new java.io.ByteArrayInputStream(body));
    }
}
