package io.rookery.api;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CodecsTest
{
    record Transfer(String to, long amount)
    {
    }

    @Test
    void jsonRoundTripsRecordsAndPlainValues()
    {
        final Codec<Transfer> codec = Codecs.json(Transfer.class);
        final Transfer transfer = new Transfer("bob", 42);
        assertThat(codec.decode(codec.encode(transfer))).isEqualTo(transfer);
        assertThat(new String(codec.encode(transfer), StandardCharsets.UTF_8))
            .isEqualTo("{\"to\":\"bob\",\"amount\":42}");
        final Codec<Long> longs = Codecs.json(Long.class);
        assertThat(longs.decode(longs.encode(7L))).isEqualTo(7L);
        assertThat(new String(longs.toJson(longs.encode(7L)), StandardCharsets.UTF_8)).isEqualTo("7");
    }

    @Test
    void jsonIsStrictAndSaysWhatWasWrong()
    {
        final Codec<Transfer> codec = Codecs.json(Transfer.class);
        assertThatThrownBy(() -> codec.decode("{\"to\":".getBytes(StandardCharsets.UTF_8)))
            .isInstanceOf(CodecException.class).hasMessageContaining("malformed JSON for Transfer");
        assertThatThrownBy(() -> codec.decode("{\"to\":\"x\",\"amount\":1,\"too\":2}".getBytes(StandardCharsets.UTF_8)))
            .isInstanceOf(CodecException.class).hasMessageContaining("\"too\"");
        assertThatThrownBy(() -> codec.decode("{\"to\":\"x\"}".getBytes(StandardCharsets.UTF_8)))
            .isInstanceOf(CodecException.class).hasMessageContaining("long").hasMessageNotContaining("Deserialization");
        assertThatThrownBy(() -> codec.decode("{\"to\":\"x\",\"amount\":1} trailing".getBytes(StandardCharsets.UTF_8)))
            .isInstanceOf(CodecException.class);
        assertThatThrownBy(() -> codec.decode(new byte[0]))
            .isInstanceOf(CodecException.class).hasMessageContaining("empty body");
    }

    @Test
    void bytesAndUtf8AreIdentityLike()
    {
        final byte[] raw = {1, 2, 3};
        assertThat(Codecs.bytes().decode(Codecs.bytes().encode(raw))).isEqualTo(raw);
        assertThat(new String(Codecs.bytes().toJson(raw), StandardCharsets.UTF_8)).isEqualTo("\"AQID\"");
        assertThat(Codecs.utf8().decode(Codecs.utf8().encode("grüß"))).isEqualTo("grüß");
    }
}
