package io.pequod.schemas;

/** A value does not fit the operation (a non-numeric increment, a value too large); the message names the key. */
public class InvalidValueException extends PequodException {
    /** @param message what is wrong, naming the key and the value */
    public InvalidValueException(String message) {
        super("Invalid value: " + message);
    }
}
