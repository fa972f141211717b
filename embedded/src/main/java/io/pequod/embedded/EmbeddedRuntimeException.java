package io.pequod.embedded;

/** The embedded broker or registry could not start or stop; the message says which and why. */
public class EmbeddedRuntimeException extends RuntimeException {
    /**
     * @param message what failed, where, and why
     * @param cause   the underlying failure (may be {@code null})
     */
    public EmbeddedRuntimeException(String message, Throwable cause) {
        super(message, cause);
    }
}
