package io.pequod.schemas;

/**
 * The root of Pequod's unchecked exceptions. Each subclass is a category whose messages start with
 * the category (for example {@code "Invalid join spec twitter.pq:3:41: ..."}) and say what went
 * wrong, where, the offending value, and what is allowed.
 */
public class PequodException extends RuntimeException {
    /** @param message what went wrong, where, and what is allowed */
    public PequodException(String message) {
        super(message);
    }

    /**
     * @param message what went wrong, where, and what is allowed
     * @param cause   the lower-level failure (may be {@code null})
     */
    public PequodException(String message, Throwable cause) {
        super(message, cause);
    }
}
