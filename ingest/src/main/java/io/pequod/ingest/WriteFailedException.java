package io.pequod.ingest;

import io.pequod.schemas.PequodException;

/** Kafka did not accept a write; the message names the key and topic, the cause is Kafka's error. */
public class WriteFailedException extends PequodException {
    /**
     * @param message what failed
     * @param cause   Kafka's error
     */
    public WriteFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
