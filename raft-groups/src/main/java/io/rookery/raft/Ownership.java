package io.rookery.raft;

import java.nio.ByteBuffer;

/**
 * What a Raft group's replicated state says about one partition: the group's side of the
 * partition's ownership, with the epoch that orders every owner the partition ever had.
 * <p>
 * A partition moves from a source group to a target group by a handoff through both logs: the source
 * seals it ({@link State#SEALED}, no more turns), the target adopts its range chunk by chunk
 * ({@link State#ADOPTING}) and owns it at the new epoch once the last chunk is applied
 * ({@link State#OWNED}), then the source deletes its sealed copy ({@link State#RELEASED}). Every
 * step is decided by an entry of one group's own log, so a crash or a leader change anywhere
 * resumes from what the logs say, and the higher epoch always names the current owner.
 *
 * @param state     the group's side of the partition.
 * @param epoch     the epoch this state is about: the owner's epoch, or the epoch of the handoff.
 * @param peerGroup the handoff's other group (target while sealed or released, source while
 *                  adopting), 0 when there is none.
 * @param nextChunk while adopting, the next chunk expected.
 */
public record Ownership(State state, long epoch, long peerGroup, int nextChunk)
{
    /** The first epoch: what the partitions a group owns from its genesis have. */
    public static final long FIRST_EPOCH = 1;

    /**
     * A group's side of a partition.
     */
    public enum State
    {
        /** The group owns the partition: its leader runs the partition's turns. */
        OWNED,
        /** The group stopped the partition's turns; it is being handed to {@code peerGroup}. */
        SEALED,
        /** The group is receiving the partition's range from {@code peerGroup}. */
        ADOPTING,
        /** The group handed the partition to {@code peerGroup} and deleted its copy. */
        RELEASED
    }

    private static final State[] STATES = State.values();

    /**
     * @param epoch the owner's epoch.
     * @return an owned partition.
     */
    public static Ownership owned(final long epoch)
    {
        return new Ownership(State.OWNED, epoch, 0, 0);
    }

    /**
     * @param epoch  the handoff's epoch.
     * @param target the group it goes to.
     * @return a sealed partition.
     */
    public static Ownership sealed(final long epoch, final long target)
    {
        return new Ownership(State.SEALED, epoch, target, 0);
    }

    /**
     * @param epoch     the handoff's epoch.
     * @param source    the group it comes from.
     * @param nextChunk the next chunk expected.
     * @return a partition being adopted.
     */
    public static Ownership adopting(final long epoch, final long source, final int nextChunk)
    {
        return new Ownership(State.ADOPTING, epoch, source, nextChunk);
    }

    /**
     * @param epoch  the handoff's epoch.
     * @param target the group it went to.
     * @return a released partition.
     */
    public static Ownership released(final long epoch, final long target)
    {
        return new Ownership(State.RELEASED, epoch, target, 0);
    }

    /** @return whether the group owns the partition and runs its turns. */
    public boolean owned()
    {
        return state == State.OWNED;
    }

    byte[] encode()
    {
        return ByteBuffer.allocate(1 + 8 + 8 + 4).put((byte)state.ordinal()).putLong(epoch).putLong(peerGroup)
            .putInt(nextChunk).array();
    }

    static Ownership decode(final byte[] bytes)
    {
        final ByteBuffer buffer = ByteBuffer.wrap(bytes);
        final int state = buffer.get();
        if (state < 0 || state >= STATES.length || bytes.length != 21)
        {
            throw new IllegalStateException("ownership record of " + bytes.length + " bytes, state " + state);
        }
        return new Ownership(STATES[state], buffer.getLong(), buffer.getLong(), buffer.getInt());
    }

    public String toString()
    {
        return switch (state)
        {
            case OWNED -> "owned@" + epoch;
            case SEALED -> "sealed@" + epoch + "->" + Long.toHexString(peerGroup);
            case ADOPTING -> "adopting@" + epoch + "<-" + Long.toHexString(peerGroup) + "#" + nextChunk;
            case RELEASED -> "released@" + epoch + "->" + Long.toHexString(peerGroup);
        };
    }
}
