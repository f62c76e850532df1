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
}
