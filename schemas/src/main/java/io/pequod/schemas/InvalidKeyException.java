package io.pequod.schemas;

/** A key, table name, value or range broke a rule of {@link Key}; the message names it. */
public class InvalidKeyException extends PequodException {
    /** @param message what is wrong, naming the offending key */
    public InvalidKeyException(String message) {
        super("Invalid key: " + message);
    }
}
