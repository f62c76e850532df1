package io.rookery.jmh.transport;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.concurrent.TimeUnit;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import io.aeron.protocol.DataHeaderFlyweight;
import io.rookery.transport.FrameAuthenticator;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The measurement behind the choice of the datagram MAC: SipHash-2-4 as the transport computes it
 * (over a datagram in a direct term buffer, with its stream position) beside HMAC-SHA256 from the
 * JDK over the same bytes (copied out of the direct buffer, as {@code Mac} needs), per datagram of a
 * full batch at the network MTU (1376 bytes) and of a lone small frame (128 bytes).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1)
public class FrameMacBenchmark
{
    @Param({"siphash-2-4", "hmac-sha256"})
    public String algorithm;

    @Param({"128", "1376"})
    public int length;

    private final byte[] key = "bench-frame-key!".getBytes(StandardCharsets.US_ASCII);
    private UnsafeBuffer term;
    private byte[] scratch;
    private FrameAuthenticator siphash;
    private Mac hmac;

    @Setup
    public void setUp() throws GeneralSecurityException
    {
        term = new UnsafeBuffer(ByteBuffer.allocateDirect(64 * 1024));
        for (int i = 0; i < length; i++)
        {
            term.putByte(DataHeaderFlyweight.HEADER_LENGTH + i, (byte)i);
        }
        scratch = new byte[DataHeaderFlyweight.HEADER_LENGTH + length];
        siphash = new FrameAuthenticator(key);
        hmac = Mac.getInstance("HmacSHA256");
        hmac.init(new SecretKeySpec(key, "HmacSHA256"));
    }

    @Benchmark
    public long mac()
    {
        final int frameLength = DataHeaderFlyweight.HEADER_LENGTH + length;
        if ("siphash-2-4".equals(algorithm))
        {
            return siphash.get(term, 0, frameLength);
        }
        term.getBytes(0, scratch, 0, frameLength);
        hmac.update(scratch, 0, frameLength);
        final byte[] tag = hmac.doFinal();
        return tag[0];
    }
}
