package io.rookery.node;

import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The source side of a handoff, stepped on a fake clock: which chunk goes when, whatever the
 * target answers, and what a lost answer does.
 */
class HandoffTest
{
    private static final List<byte[]> CHUNKS = List.of(new byte[] {0}, new byte[] {1}, new byte[] {2});

    private long nowNs = 1_000_000_000L;

    @Test
    void nothingGoesOutBeforeTheSealIsAppliedThenChunksGoInOrder()
    {
        final Handoff handoff = new Handoff(7, 3, 99);
        assertThat(handoff.chunkToSend(nowNs)).isEqualTo(-1);

        handoff.sealed(CHUNKS, nowNs);
        assertThat(handoff.step()).isEqualTo(Handoff.Step.SENDING);
        for (int i = 0; i < 3; i++)
        {
            assertThat(handoff.chunkToSend(nowNs)).isEqualTo(i);
            assertThat(handoff.isLast(i)).isEqualTo(i == 2);
            handoff.sent(nowNs);
            assertThat(handoff.chunkToSend(nowNs)).as("nothing while an answer is awaited").isEqualTo(-1);
            handoff.answered(i == 2 ? Handoff.Answer.DONE : Handoff.Answer.NEXT, i + 1, nowNs);
        }
        assertThat(handoff.step()).isEqualTo(Handoff.Step.RELEASING);
        assertThat(handoff.chunkToSend(nowNs)).isEqualTo(-1);
        handoff.releaseProposed();
        handoff.releaseFailed();
        assertThat(handoff.step()).as("a release that did not commit is proposed again")
            .isEqualTo(Handoff.Step.RELEASING);
    }

    @Test
    void aLostAnswerResendsTheSameChunkAfterTheTimeoutAndTheTargetCanRestartTheRange()
    {
        final Handoff handoff = new Handoff(1, 2, 5);
        handoff.sealed(CHUNKS, nowNs);
        handoff.sent(nowNs);
        nowNs += Handoff.REPLY_TIMEOUT_NS - 1;
        assertThat(handoff.chunkToSend(nowNs)).isEqualTo(-1);
        nowNs += 1;
        assertThat(handoff.chunkToSend(nowNs)).isEqualTo(0);
        handoff.sent(nowNs);
        handoff.answered(Handoff.Answer.NEXT, 1, nowNs);
        handoff.sent(nowNs);
        // A new leader of the target lost the adoption in progress: it asks for chunk 0 again.
        handoff.answered(Handoff.Answer.NEXT, 0, nowNs);
        assertThat(handoff.chunkToSend(nowNs)).isEqualTo(0);
        handoff.answered(Handoff.Answer.NEXT, 17, nowNs);
        assertThat(handoff.chunkToSend(nowNs)).as("a chunk number out of range starts over").isEqualTo(0);
    }

    @Test
    void anUnknownLeaderOrARefusalWaitsBeforeTryingAgain()
    {
        final Handoff handoff = new Handoff(1, 2, 5);
        handoff.sealed(CHUNKS, nowNs);
        handoff.retryLater(nowNs);
        assertThat(handoff.chunkToSend(nowNs + Handoff.RETRY_NS - 1)).isEqualTo(-1);
        assertThat(handoff.chunkToSend(nowNs + Handoff.RETRY_NS)).isEqualTo(0);
        assertThat(handoff.answered(Handoff.Answer.RETIRED, 0, nowNs)).as("a retired target is reported").isTrue();
    }

    @Test
    void answersRoundTripAndGarbageIsNotAnAnswer()
    {
        assertThat(Handoff.decodeAnswer(Handoff.encodeAnswer(Handoff.Answer.NEXT, 12)))
            .isEqualTo(new Handoff.DecodedAnswer(Handoff.Answer.NEXT, 12));
        assertThat(Handoff.decodeAnswer(new byte[] {9, 0, 0, 0, 0})).isNull();
        assertThat(Handoff.decodeAnswer(new byte[3])).isNull();
        assertThat(Handoff.decodeAnswer(null)).isNull();
    }
}
