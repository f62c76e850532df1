package io.rookery.examples;

import java.util.ArrayList;
import java.util.List;

import io.rookery.api.AgentContext;
import io.rookery.api.AgentException;
import io.rookery.api.AgentId;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CounterAgentTest
{
    private final CounterAgent counter = new CounterAgent();
    private final RecordingContext ctx = new RecordingContext();

    @Test
    void incrementsByOneByDefaultAndByTheGivenAmount()
    {
        long state = counter.initialState(AgentId.of("counter", "k"));
        state = counter.handle(ctx, state, new CounterAgent.Command("increment", null, null));
        assertThat(state).isEqualTo(1);
        assertThat(ctx.reply).isEqualTo(new CounterAgent.Value(1));
        state = counter.handle(ctx, state, new CounterAgent.Command("increment", 41L, null));
        assertThat(state).isEqualTo(42);
        assertThat(counter.handle(ctx, state, new CounterAgent.Command("get", null, null))).isEqualTo(42);
        assertThat(ctx.reply).isEqualTo(new CounterAgent.Value(42));
    }

    @Test
    void forwardSendsAnIncrementToAnotherCounterAndKeepsItsOwnValue()
    {
        final long state = counter.handle(ctx, 5L, new CounterAgent.Command("forward", 3L, "other"));
        assertThat(state).isEqualTo(5);
        assertThat(ctx.sent).containsExactly(AgentId.of("counter", "other"));
        assertThat(ctx.messages).containsExactly(new CounterAgent.Command("increment", 3L, null));
    }

    @Test
    void scheduleSetsADurableTimerThatDeliversAnIncrementAndCancelRemovesIt()
    {
        assertThat(counter.handle(ctx, 2L, new CounterAgent.Command("schedule", 5L, null, 3000L))).isEqualTo(2);
        assertThat(counter.handle(ctx, 2L, new CounterAgent.Command("cancel", null, null))).isEqualTo(2);
        assertThat(ctx.timers).containsExactly(
            "scheduled@3000=" + new CounterAgent.Command("increment", 5L, null), "cancel scheduled");
        assertThatThrownBy(() -> counter.handle(ctx, 0L, new CounterAgent.Command("schedule", 1L, null, null)))
            .isInstanceOf(AgentException.class).hasMessageContaining("delayMs");
    }

    @Test
    void refusesUnknownOpsForwardsWithoutTargetAndOverflow()
    {
        assertThatThrownBy(() -> counter.handle(ctx, 0L, new CounterAgent.Command("explode", null, null)))
            .isInstanceOf(AgentException.class).hasMessageContaining("unknown op 'explode'");
        assertThatThrownBy(() -> counter.handle(ctx, 0L, new CounterAgent.Command("forward", 1L, "")))
            .isInstanceOf(AgentException.class).hasMessageContaining("forward needs");
        assertThatThrownBy(() -> counter.handle(ctx, Long.MAX_VALUE, new CounterAgent.Command("increment", 1L, null)))
            .isInstanceOf(ArithmeticException.class);
    }

    private static final class RecordingContext implements AgentContext
    {
        Object reply;
        final List<AgentId> sent = new ArrayList<>();
        final List<Object> messages = new ArrayList<>();
        final List<String> timers = new ArrayList<>();

        public AgentId self()
        {
            return AgentId.of("counter", "self");
        }

        public AgentId sender()
        {
            return null;
        }

        public int partition()
        {
            return 0;
        }

        public long nowMillis()
        {
            return 0;
        }

        public void reply(final Object reply)
        {
            this.reply = reply;
        }

        public void send(final AgentId target, final Object message)
        {
            sent.add(target);
            messages.add(message);
        }

        public void setTimer(final String name, final java.time.Duration delay, final Object message)
        {
            timers.add(name + "@" + delay.toMillis() + "=" + message);
        }

        public void cancelTimer(final String name)
        {
            timers.add("cancel " + name);
        }

        public void ask(final AgentId target, final Object message)
        {
            send(target, message);
        }
    }
}
