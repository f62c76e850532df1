package io.rookery.query;

import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.databind.JsonNode;
import io.rookery.api.Codecs;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PredicateTest
{
    private static final JsonNode ACCOUNT = json(
        "{\"balance\": 150.5, \"status\": \"open\", \"frozen\": false, \"owner\": {\"region\": \"eu\", \"age\": 41}," +
        " \"note\": null, \"tags\": [\"a\"]}");

    @Test
    void comparesNumbersTextBooleansAndNull()
    {
        assertThat(matches("balance > 100")).isTrue();
        assertThat(matches("balance >= 150.5")).isTrue();
        assertThat(matches("balance < 150.5")).isFalse();
        assertThat(matches("balance = 1.505e2")).as("numbers compare as numbers").isTrue();
        assertThat(matches("balance != 150.50")).isFalse();
        assertThat(matches("status = \"open\"")).isTrue();
        assertThat(matches("status = 'closed'")).isFalse();
        assertThat(matches("status > 'aaa'")).as("text orders by code point").isTrue();
        assertThat(matches("frozen = false")).isTrue();
        assertThat(matches("note = null")).isTrue();
        assertThat(matches("owner.region = 'eu' and owner.age >= 41")).isTrue();
    }

    @Test
    void aPathThatLeadsNowhereOrToAnotherKindOnlySatisfiesNotEqual()
    {
        assertThat(matches("missing = 1")).isFalse();
        assertThat(matches("missing < 1")).isFalse();
        assertThat(matches("missing != 1")).isTrue();
        assertThat(matches("owner.region.deeper = 1")).isFalse();
        assertThat(matches("status > 5")).as("text against a number").isFalse();
        assertThat(matches("status != 5")).isTrue();
        assertThat(matches("frozen < true")).as("booleans only for equality").isFalse();
        assertThat(matches("owner exists and missing exists")).isFalse();
        assertThat(matches("owner.age exists")).isTrue();
    }

    @Test
    void andBindsTighterThanOrAndNotAndParenthesesNest()
    {
        assertThat(matches("status = 'closed' and balance > 0 or frozen = false")).isTrue();
        assertThat(matches("status = 'closed' and (balance > 0 or frozen = false)")).isFalse();
        assertThat(matches("not status = 'closed'")).isTrue();
        assertThat(matches("NOT (owner.region = 'eu' OR frozen = true)")).as("keywords in any case").isFalse();
        assertThat(Predicate.parse(null).test(ACCOUNT)).isTrue();
        assertThat(Predicate.parse("  ").test(ACCOUNT)).isTrue();
    }

    @Test
    void dollarIsTheWholeStateForAgentsWhoseStateIsOneValue()
    {
        assertThat(Predicate.parse("$ >= 10").test(json("12"))).isTrue();
        assertThat(Predicate.parse("$ >= 10").test(json("9"))).isFalse();
        assertThat(Predicate.parse("$ = 'x'").test(json("\"x\""))).isTrue();
        assertThat(Predicate.path("$")).isEmpty();
    }

    @Test
    void badConditionsSayWhatAndWhere()
    {
        assertThatThrownBy(() -> Predicate.parse("balance >")).hasMessageContaining("expected a number")
            .hasMessageContaining("position 10");
        assertThatThrownBy(() -> Predicate.parse("balance ~ 3")).hasMessageContaining("expected one of");
        assertThatThrownBy(() -> Predicate.parse("(balance > 3")).hasMessageContaining("expected ')'");
        assertThatThrownBy(() -> Predicate.parse("balance > 3 status = 1")).hasMessageContaining("unexpected 'status");
        assertThatThrownBy(() -> Predicate.parse("9lives = 1")).hasMessageContaining("expected a field name");
        assertThatThrownBy(() -> Predicate.parse("name = 'open")).hasMessageContaining("not closed");
        assertThatThrownBy(() -> Predicate.parse("(".repeat(40) + "a = 1" + ")".repeat(40)))
            .hasMessageContaining("nesting deeper than 32");
        assertThatThrownBy(() -> Predicate.parse("not ".repeat(40) + "a = 1")).hasMessageContaining("nesting");
        assertThatThrownBy(() -> Predicate.parse("a = 1 or ".repeat(300) + "a = 1"))
            .hasMessageContaining("at most 2048 characters");
        assertThatThrownBy(() -> Predicate.path("a..b")).hasMessageContaining("expected a field name");
        assertThat(Predicate.path("owner.region")).containsExactly("owner", "region");
    }

    private static boolean matches(final String condition)
    {
        return Predicate.parse(condition).test(ACCOUNT);
    }

    private static JsonNode json(final String text)
    {
        return Codecs.parseJson(text.getBytes(StandardCharsets.UTF_8));
    }
}
