package io.rookery.node;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HttpAuthTest
{
    private static final String ADMIN = "admin-token-0123456789";
    private static final String CLIENT = "client-token-0123456789";

    @TempDir
    Path dir;

    private final AtomicLong clock = new AtomicLong();

    @Test
    void rolesDecideWhatATokenMayDo() throws Exception
    {
        final HttpAuth auth =
            new HttpAuth(tokens("# comment\nadmin " + ADMIN + "\n\nclient " + CLIENT + "\n"), clock::get);

        assertThat(auth.check(null, HttpAuth.Role.OPEN).allowed()).isTrue();
        assertThat(auth.check(null, HttpAuth.Role.CLIENT)).isEqualTo(new HttpAuth.Verdict(401, "missing bearer token"));
        assertThat(auth.check("Basic abc", HttpAuth.Role.CLIENT).code()).isEqualTo(401);
        assertThat(auth.check("Bearer " + CLIENT + "x", HttpAuth.Role.CLIENT))
            .isEqualTo(new HttpAuth.Verdict(401, "unknown token"));
        assertThat(auth.check("Bearer " + CLIENT, HttpAuth.Role.CLIENT).allowed()).isTrue();
        assertThat(auth.check("bearer " + CLIENT, HttpAuth.Role.CLIENT).allowed()).isTrue();
        assertThat(auth.check("Bearer " + CLIENT, HttpAuth.Role.ADMIN).code()).isEqualTo(403);
        assertThat(auth.check("Bearer " + ADMIN, HttpAuth.Role.ADMIN).allowed()).isTrue();
        assertThat(auth.check("Bearer " + ADMIN, HttpAuth.Role.CLIENT).allowed()).isTrue();
        assertThat(auth.peerToken()).isEqualTo(ADMIN);
    }

    @Test
    void aChangedFileIsReadAgainAndABrokenOneKeepsTheTokensLastRead() throws Exception
    {
        final Path file = tokens("client " + CLIENT + "\nadmin " + ADMIN + "\n");
        final HttpAuth auth = new HttpAuth(file, clock::get);
        final String rotated = "client-token-rotated-000";

        Files.writeString(file, "client " + rotated + "\nadmin " + ADMIN + "\n");
        Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis() + 5_000));
        assertThat(auth.check("Bearer " + rotated, HttpAuth.Role.CLIENT).allowed())
            .as("not looked at again within a second").isFalse();
        clock.addAndGet(1_000_000_001L);
        assertThat(auth.check("Bearer " + rotated, HttpAuth.Role.CLIENT).allowed()).isTrue();
        assertThat(auth.check("Bearer " + CLIENT, HttpAuth.Role.CLIENT).code()).isEqualTo(401);

        Files.writeString(file, "nonsense\n");
        Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis() + 10_000));
        clock.addAndGet(1_000_000_001L);
        assertThat(auth.check("Bearer " + rotated, HttpAuth.Role.CLIENT).allowed()).isTrue();
    }

    @Test
    void aBadFileIsRefusedWithItsLine()
    {
        assertThatThrownBy(() -> HttpAuth.parse("admin short\n", dir)).hasMessageContaining("line 1")
            .hasMessageContaining("16 characters");
        assertThatThrownBy(() -> HttpAuth.parse("root " + ADMIN + "\n", dir)).hasMessageContaining("<admin|client>");
        assertThatThrownBy(() -> HttpAuth.parse("# nothing\n", dir)).hasMessageContaining("holds no token");
    }

    private Path tokens(final String text) throws Exception
    {
        final Path file = dir.resolve("tokens");
        Files.writeString(file, text);
        return file;
    }
}
