package io.rookery.api;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AgentIdTest
{
    @Test
    void acceptsTypesOfLettersDigitsDashUnderscoreDotAndAnyKey()
    {
        final AgentId id = AgentId.of("bank.account_v2-x", "käse/42 with spaces");
        assertThat(id.type()).isEqualTo("bank.account_v2-x");
        assertThat(id.key()).isEqualTo("käse/42 with spaces");
        assertThat(id).hasToString("bank.account_v2-x/käse/42 with spaces");
    }

    @Test
    void refusesEmptyOrOddTypesAndEmptyOrHugeKeysNamingTheField()
    {
        assertThatThrownBy(() -> AgentId.of("", "k")).hasMessageContaining("type");
        assertThatThrownBy(() -> AgentId.of("a/b", "k")).hasMessageContaining("agent type may only hold");
        assertThatThrownBy(() -> AgentId.of("t", "")).hasMessageContaining("key");
        assertThatThrownBy(() -> AgentId.of("t", "x".repeat(AgentId.MAX_LENGTH + 1)))
            .hasMessageContaining("longer than");
        assertThatThrownBy(() -> new AgentId(null, "k")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theLimitIsInUtf8BytesWhateverTheCharacters()
    {
        final String threeBytes = "\u6771";
        assertThat(AgentId.of("t", threeBytes.repeat(AgentId.MAX_LENGTH / 3)).key()).hasSize(AgentId.MAX_LENGTH / 3);
        assertThatThrownBy(() -> AgentId.of("t", threeBytes.repeat(AgentId.MAX_LENGTH / 3 + 1)))
            .hasMessageContaining("longer than");
        assertThat(AgentId.of("t", "x".repeat(AgentId.MAX_LENGTH)).key()).hasSize(AgentId.MAX_LENGTH);
        final String fourBytes = "\uD83D\uDE00";
        assertThat(AgentId.of("t", fourBytes.repeat(AgentId.MAX_LENGTH / 4)).key()).isNotEmpty();
        assertThatThrownBy(() -> AgentId.of("t", fourBytes.repeat(AgentId.MAX_LENGTH / 4) + "x"))
            .hasMessageContaining("longer than");
    }

    @Test
    void idsAreEqualByTypeAndKey()
    {
        assertThat(AgentId.of("counter", "a")).isEqualTo(new AgentId("counter", new String("a")))
            .hasSameHashCodeAs(AgentId.of("counter", "a"))
            .isNotEqualTo(AgentId.of("counter", "b"))
            .isNotEqualTo(AgentId.of("account", "a"))
            .isNotEqualTo("counter/a");
        assertThat(AgentId.of("ab", "c")).isNotEqualTo(AgentId.of("a", "bc"));
    }
}
