package io.rookery.deploy;

import java.time.Duration;
import java.util.List;

import io.rookery.api.AgentContext;
import io.rookery.api.AgentException;
import io.rookery.api.AgentId;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DeploymentsAgentTest
{
    private static final String V1 = "1".repeat(64);
    private static final String V2 = "2".repeat(64);
    private static final String OTHER = "3".repeat(64);

    private final DeploymentsAgent record = new DeploymentsAgent();
    private final Clock ctx = new Clock();

    @Test
    void aNewVersionBecomesActiveAndTheOldOneIsKeptForARollback()
    {
        DeploymentsAgent.State state = record.initialState(DeploymentsAgent.ID);
        state = handle(state, register(V1, "greeter", "1.0", "greeter"));
        ctx.now = 2000;
        state = handle(state, register(V2, "greeter", "2.0", "greeter"));

        assertThat(state.active()).containsEntry("greeter", V2);
        assertThat(state.versions().get(V1).status()).isEqualTo(DeploymentsAgent.SUPERSEDED);
        assertThat(state.versions().get(V1).changedAtMs()).isEqualTo(2000);
        assertThat(state.versions().get(V2).status()).isEqualTo(DeploymentsAgent.ACTIVE);
        assertThat(state.generation()).isEqualTo(2);

        state = handle(state, new DeploymentsAgent.Command("rollback", null, "greeter", null, null, null, null, null));
        assertThat(state.active()).containsEntry("greeter", V1);
        assertThat(state.versions().get(V2).status()).isEqualTo(DeploymentsAgent.SUPERSEDED);
    }

    @Test
    void typesMayNotClashWithAnotherBundlesActiveVersion()
    {
        final DeploymentsAgent.State state = handle(record.initialState(DeploymentsAgent.ID),
            register(V1, "greeter", "1.0", "greeter"));

        assertThatThrownBy(() -> handle(state, register(OTHER, "copycat", "1.0", "greeter")))
            .isInstanceOf(AgentException.class)
            .hasMessageContaining("type clash: agent type 'greeter' of copycat@1.0 is provided by the active bundle " +
                "greeter@1.0");
    }

    @Test
    void aNameAndVersionAlwaysMeanTheSameBytes()
    {
        final DeploymentsAgent.State state = handle(record.initialState(DeploymentsAgent.ID),
            register(V1, "greeter", "1.0", "greeter"));

        assertThatThrownBy(() -> handle(state, register(V2, "greeter", "1.0", "greeter")))
            .hasMessageContaining("already deployed with other bytes");
        assertThat(handle(state, register(V1, "greeter", "1.0", "greeter")).generation())
            .as("the same bundle again changes nothing").isEqualTo(state.generation());
    }

    @Test
    void theActiveVersionIsNeverPrunedAndAPrunedOneNeverComesBack()
    {
        DeploymentsAgent.State state = handle(record.initialState(DeploymentsAgent.ID),
            register(V1, "greeter", "1.0", "greeter"));
        final DeploymentsAgent.State onlyV1 = state;
        assertThatThrownBy(() -> handle(onlyV1, prune("greeter", "1.0"))).hasMessageContaining("is active");

        state = handle(state, register(V2, "greeter", "2.0", "greeter"));
        state = handle(state, prune("greeter", "1.0"));
        assertThat(state.versions().get(V1).status()).isEqualTo(DeploymentsAgent.PRUNED);
        final DeploymentsAgent.State pruned = state;
        assertThatThrownBy(() -> handle(pruned, new DeploymentsAgent.Command("activate", null, "greeter", "1.0",
            null, null, null, null))).hasMessageContaining("was pruned");
        assertThatThrownBy(() -> handle(pruned, new DeploymentsAgent.Command("rollback", null, "greeter", null,
            null, null, null, null))).hasMessageContaining("no earlier version");
    }

    @Test
    void theRecordSurvivesItsOwnCodec()
    {
        final DeploymentsAgent.State state = handle(record.initialState(DeploymentsAgent.ID),
            register(V1, "greeter", "1.0", "greeter"));
        assertThat(record.stateCodec().decode(record.stateCodec().encode(state))).isEqualTo(state);
    }

    private DeploymentsAgent.State handle(final DeploymentsAgent.State state, final DeploymentsAgent.Command command)
    {
        return record.handle(ctx, state, command);
    }

    private static DeploymentsAgent.Command register(
        final String sha, final String name, final String version, final String types)
    {
        return new DeploymentsAgent.Command("register", sha, name, version, List.of(types.split(",")), 100L, "n1",
            null);
    }

    private static DeploymentsAgent.Command prune(final String name, final String version)
    {
        return new DeploymentsAgent.Command("prune", null, name, version, null, null, null, null);
    }

    /** A turn's context with a clock the test sets. */
    private static final class Clock implements AgentContext
    {
        long now = 1000;
        Object reply;

        public AgentId self()
        {
            return DeploymentsAgent.ID;
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
            return now;
        }

        public void reply(final Object reply)
        {
            this.reply = reply;
        }

        public void send(final AgentId target, final Object message)
        {
            throw new UnsupportedOperationException();
        }

        public void ask(final AgentId target, final Object message)
        {
            throw new UnsupportedOperationException();
        }

        public void setTimer(final String name, final Duration delay, final Object message)
        {
            throw new UnsupportedOperationException();
        }

        public void cancelTimer(final String name)
        {
            throw new UnsupportedOperationException();
        }
    }
}
