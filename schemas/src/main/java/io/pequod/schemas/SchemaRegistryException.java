package io.pequod.schemas;

/** The schema registry was unreachable, or refused or failed a request; the message says which. */
public class SchemaRegistryException extends PequodException {
    private final int status;

    /**
     * @param message what failed, naming the registry URL and subject or id
     * @param status  the HTTP status, or 0 when there was no answer
     * @param cause   the lower-level failure (may be {@code null})
     */
    public SchemaRegistryException(String message, int status, Throwable cause) {
        super("Schema registry error: " + message, cause);
        this.status = status;
    }

    /** @return the registry's HTTP status, or 0 when it did not answer */
    public int status() {
        return status;
    }

    /** @return whether the registry rejected a schema as incompatible (HTTP 409) */
    public boolean isIncompatible() {
        return status == 409;
    }
}
