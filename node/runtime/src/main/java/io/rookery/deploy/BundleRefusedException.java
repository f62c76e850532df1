package io.rookery.deploy;

/**
 * A bundle that cannot be deployed: its bytes, descriptor or classes are wrong, or its types clash
 * with types another bundle provides. Nothing running is touched when one is refused.
 */
public final class BundleRefusedException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final String reason;

    /**
     * @param reason  short machine-readable reason: {@code hash_mismatch}, {@code bad_descriptor},
     *                {@code does_not_load}, {@code type_clash}, {@code too_large}.
     * @param message what is wrong, for a person.
     */
    public BundleRefusedException(final String reason, final String message)
    {
        super(message);
        this.reason = reason;
    }

    /**
     * @param reason  short machine-readable reason.
     * @param message what is wrong, for a person.
     * @param cause   the underlying failure.
     */
    public BundleRefusedException(final String reason, final String message, final Throwable cause)
    {
        super(message, cause);
        this.reason = reason;
    }

    /** @return the machine-readable reason, also the label of the refusal counter. */
    public String reason()
    {
        return reason;
    }
}
