package io.rookery.raft;

import java.io.IOException;
import java.util.concurrent.CompletionException;

import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.LeaderSteppingDownException;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.protocol.exceptions.ReadException;
import org.apache.ratis.protocol.exceptions.ReadIndexException;
import org.apache.ratis.protocol.exceptions.StateMachineException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How failed reads reach the runtime: typed, with no Ratis exception past raft-groups.
 */
class ReadRetryTest
{
    @Test
    void aFollowerThatDoesNotKnowTheLeaderIsRetriedHoweverWrapped()
    {
        final ReadIndexException unknownLeader = new ReadIndexException("n1@group-1: Leader is unknown.");
        assertThat(RaftGroups.readFailure(unknownLeader).status()).isEqualTo(ReadResult.Status.RETRY);
        assertThat(RaftGroups.readFailure(new CompletionException(new ReadException(unknownLeader))).status())
            .isEqualTo(ReadResult.Status.RETRY);
        assertThat(RaftGroups.readFailure(new LeaderSteppingDownException("stepping down")).status())
            .isEqualTo(ReadResult.Status.RETRY);
    }

    @Test
    void aFollowerNamesTheLeaderItKnows()
    {
        final RaftGroupMemberId me = RaftGroupMemberId.valueOf(RaftPeerId.valueOf("n2"), RaftGroupId.randomId());
        final RaftPeer leader = RaftPeer.newBuilder().setId("n1").setAddress("127.0.0.1:1").build();

        final ReadResult result = RaftGroups.readFailure(new CompletionException(
            new NotLeaderException(me, leader, java.util.List.of(leader))));

        assertThat(result.status()).isEqualTo(ReadResult.Status.NOT_LEADER);
        assertThat(result.leaderHint()).isEqualTo("n1");
    }

    @Test
    void otherFailuresAreReportedWithTheirReason()
    {
        assertThat(RaftGroups.readFailure(new IOException("disk")).status()).isEqualTo(ReadResult.Status.FAILED);
        final ReadResult failed = RaftGroups.readFailure(new StateMachineException("query failed"));
        assertThat(failed.status()).isEqualTo(ReadResult.Status.FAILED);
        assertThat(failed.detail()).contains("query failed");
    }
}
