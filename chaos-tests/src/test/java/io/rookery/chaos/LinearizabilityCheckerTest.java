package io.rookery.chaos;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import io.rookery.chaos.checker.LinearizabilityChecker;
import io.rookery.chaos.checker.LinearizabilityChecker.Operation;
import io.rookery.chaos.checker.LinearizabilityChecker.Outcome;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class LinearizabilityCheckerTest
{
    @Test
    void sequentialHistoriesOfARegisterAreLinearizable()
    {
        assertLinearizable(List.of(
            Operation.write(0, 1, Outcome.OK, 0, 10),
            Operation.read(1, 1, 20, 30),
            Operation.cas(2, 1, 2, true, Outcome.OK, 40, 50),
            Operation.cas(3, 1, 3, false, Outcome.OK, 60, 70),
            Operation.read(4, 2, 80, 90)));
    }

    @Test
    void aReadConcurrentWithAWriteMaySeeEitherValue()
    {
        assertLinearizable(List.of(
            Operation.write(0, 1, Outcome.OK, 0, 100),
            Operation.read(1, 0, 10, 20),
            Operation.read(2, 1, 30, 40)));
    }

    @Test
    void aReadAfterACompletedWriteMustSeeIt()
    {
        assertViolation(List.of(
            Operation.write(0, 1, Outcome.OK, 0, 10),
            Operation.read(1, 0, 20, 30)));
    }

    @Test
    void aStaleReadAfterANewerWriteIsAViolation()
    {
        assertViolation(List.of(
            Operation.write(0, 1, Outcome.OK, 0, 10),
            Operation.write(1, 2, Outcome.OK, 20, 30),
            Operation.read(2, 1, 40, 50)));
    }

    @Test
    void readsMayNotGoBackInTime()
    {
        assertViolation(List.of(
            Operation.write(0, 1, Outcome.OK, 0, 100),
            Operation.read(1, 1, 10, 20),
            Operation.read(2, 0, 30, 40)));
    }

    @Test
    void twoConcurrentCasFromTheSameValueCannotBothSucceed()
    {
        assertViolation(List.of(
            Operation.cas(0, 0, 1, true, Outcome.OK, 0, 100),
            Operation.cas(1, 0, 2, true, Outcome.OK, 10, 90)));
        assertLinearizable(List.of(
            Operation.cas(0, 0, 1, true, Outcome.OK, 0, 100),
            Operation.cas(1, 0, 2, false, Outcome.OK, 10, 90),
            Operation.read(2, 1, 110, 120)));
    }

    @Test
    void aFailedCasMustNotHaveHadItsExpectedValue()
    {
        assertViolation(List.of(
            Operation.cas(0, 0, 5, false, Outcome.OK, 0, 10)));
    }

    @Test
    void anOperationOfUnknownOutcomeMayTakeEffectLateOrNever()
    {
        assertLinearizable(List.of(
            Operation.write(0, 5, Outcome.INFO, 0, 0),
            Operation.read(1, 0, 10, 20),
            Operation.read(2, 5, 30, 40)));
        assertLinearizable(List.of(
            Operation.write(0, 5, Outcome.INFO, 0, 0),
            Operation.read(1, 0, 10, 20)));
        assertViolation(List.of(
            Operation.write(0, 5, Outcome.INFO, 0, 0),
            Operation.read(1, 5, 10, 20),
            Operation.read(2, 0, 30, 40)));
        assertViolation(List.of(
            Operation.read(0, 5, 10, 20),
            Operation.write(1, 5, Outcome.INFO, 30, 0)));
    }

    @Test
    void definiteFailuresAndUnknownReadsConstrainNothing()
    {
        assertLinearizable(List.of(
            Operation.write(0, 9, Outcome.FAIL, 0, 10),
            new Operation(1, LinearizabilityChecker.Kind.READ, 42, 0, false, Outcome.INFO, 20, 30),
            Operation.read(2, 0, 40, 50)));
    }

    @Test
    void largeRandomHistoriesOfARealRegisterAreLinearizableAndACorruptedReadIsCaught()
    {
        final Random random = new Random(7);
        final List<Operation> history = new ArrayList<>();
        long value = 0;
        long time = 0;
        for (int id = 0; id < 400; id++)
        {
            // Operations overlap their neighbours but take effect in id order at "time + 5".
            final long invoke = time;
            final long complete = time + 10 + random.nextInt(20);
            time += 10;
            switch (random.nextInt(3))
            {
                case 0 -> history.add(Operation.read(id, value, invoke, complete));
                case 1 ->
                {
                    value = random.nextInt(5);
                    history.add(Operation.write(id, value, Outcome.OK, invoke, complete));
                }
                default ->
                {
                    final long expected = random.nextInt(5);
                    final long next = random.nextInt(5);
                    final boolean ok = expected == value;
                    value = ok ? next : value;
                    history.add(Operation.cas(id, expected, next, ok, Outcome.OK, invoke, complete));
                }
            }
        }
        assertLinearizable(history);

        final List<Operation> corrupted = new ArrayList<>(history);
        for (int i = corrupted.size() - 1; i >= 0; i--)
        {
            final Operation op = corrupted.get(i);
            if (op.kind() == LinearizabilityChecker.Kind.READ)
            {
                corrupted.set(i, Operation.read(op.id(), op.value() + 100, op.invokeNs(), op.completeNs()));
                break;
            }
        }
        assertViolation(corrupted);
    }

    private static void assertLinearizable(final List<Operation> history)
    {
        final LinearizabilityChecker.Result result = LinearizabilityChecker.check(history, 0);
        assertThat(result.conclusive()).isTrue();
        assertThat(result.linearizable()).as(result.explanation()).isTrue();
    }

    private static void assertViolation(final List<Operation> history)
    {
        final LinearizabilityChecker.Result result = LinearizabilityChecker.check(history, 0);
        assertThat(result.conclusive()).isTrue();
        assertThat(result.linearizable()).isFalse();
        assertThat(result.explanation()).contains("no order of the operations explains");
    }
}
