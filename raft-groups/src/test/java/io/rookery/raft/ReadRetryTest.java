package io.rookery.raft;

import java.io.IOException;
import java.util.concurrent.CompletionException;

import org.apache.ratis.protocol.exceptions.LeaderSteppingDownException;
import org.apache.ratis.protocol.exceptions.ReadException;
import org.apache.ratis.protocol.exceptions.ReadIndexException;
import org.apache.ratis.protocol.exceptions.StateMachineException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which failed reads are asked again: those where the replica could not tell who leads.
 */
class ReadRetryTest
{
    @Test
    void aFollowerThatDoesNotKnowTheLeaderIsRetriedHoweverWrapped()
    {
        final ReadIndexException unknownLeader = new ReadIndexException("n1@group-1: Leader is unknown.");
        assertThat(PartitionGroups.isRetryableReadFailure(unknownLeader)).isTrue();
        assertThat(PartitionGroups.isRetryableReadFailure(new CompletionException(new ReadException(unknownLeader))))
            .isTrue();
        assertThat(PartitionGroups.isRetryableReadFailure(new LeaderSteppingDownException("stepping down"))).isTrue();
    }

    @Test
    void otherFailuresAreReported()
    {
        assertThat(PartitionGroups.isRetryableReadFailure(new IOException("disk"))).isFalse();
        assertThat(PartitionGroups.isRetryableReadFailure(new StateMachineException("query failed"))).isFalse();
    }
}
