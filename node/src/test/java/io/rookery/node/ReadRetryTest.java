package io.rookery.node;

import java.io.IOException;
import java.util.concurrent.CompletionException;

import org.apache.ratis.protocol.exceptions.LeaderSteppingDownException;
import org.apache.ratis.protocol.exceptions.ReadException;
import org.apache.ratis.protocol.exceptions.ReadIndexException;
import org.apache.ratis.protocol.exceptions.StateMachineException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which failed reads the router asks again: those where the replica could not tell who leads.
 */
class ReadRetryTest
{
    @Test
    void aFollowerThatDoesNotKnowTheLeaderIsRetriedHoweverWrapped()
    {
        final ReadIndexException unknownLeader = new ReadIndexException("n1@group-1: Leader is unknown.");
        assertThat(AgentRuntime.isLeadershipInFlux(unknownLeader)).isTrue();
        assertThat(AgentRuntime.isLeadershipInFlux(new CompletionException(new ReadException(unknownLeader))))
            .isTrue();
        assertThat(AgentRuntime.isLeadershipInFlux(new LeaderSteppingDownException("stepping down"))).isTrue();
    }

    @Test
    void otherFailuresAreReported()
    {
        assertThat(AgentRuntime.isLeadershipInFlux(new IOException("disk"))).isFalse();
        assertThat(AgentRuntime.isLeadershipInFlux(new StateMachineException("query failed"))).isFalse();
    }
}
