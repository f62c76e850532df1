package io.rookery.gossip;

import java.util.Arrays;
import java.util.Objects;

/**
 * A node's claim, in gossip, that it leads a Raft group and serves the partitions the group owns.
 * A hint for routing: the term and the per-partition epochs order competing claims (a higher term
 * names the group's newer leader, a higher epoch the partition's newer owner), and every frame is
 * still checked by the node that receives it.
 *
 * @param group      the group's key.
 * @param name       the group's name (its home node's id), empty when not yet known.
 * @param term       the Raft term in which the claimer leads it.
 * @param partitions the partitions the group owns, ascending.
 * @param epochs     each partition's owner epoch, in the same order.
 */
public record GroupClaim(long group, String name, long term, int[] partitions, long[] epochs)
{
    /**
     * Validates the fields.
     */
    public GroupClaim
    {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(partitions, "partitions");
        Objects.requireNonNull(epochs, "epochs");
        if (partitions.length != epochs.length)
        {
            throw new IllegalArgumentException("one epoch per partition: " + partitions.length + " partitions, " +
                epochs.length + " epochs");
        }
        for (int i = 0; i < partitions.length; i++)
        {
            if (partitions[i] < 0 || partitions[i] > 0xFFFE || (i > 0 && partitions[i] <= partitions[i - 1]))
            {
                throw new IllegalArgumentException("partitions must be ascending u16 values below 65535");
            }
        }
    }

    /** @return how many partitions the claim covers. */
    public int size()
    {
        return partitions.length;
    }

    public boolean equals(final Object o)
    {
        return o instanceof GroupClaim that && group == that.group && term == that.term && name.equals(that.name) &&
            Arrays.equals(partitions, that.partitions) && Arrays.equals(epochs, that.epochs);
    }

    public int hashCode()
    {
        return (Long.hashCode(group) * 31 + Long.hashCode(term)) * 31 + Arrays.hashCode(partitions);
    }

    public String toString()
    {
        return "GroupClaim{" + (name.isEmpty() ? Long.toHexString(group) : name) + " term=" + term + " partitions=" +
            partitions.length + "}";
    }
}
