package io.pequod.views.internals.processor;

/**
 * A key whose expiry passed, found by the table's owner: it becomes a tombstone in the table topic
 * with the header {@value #HEADER} (the expiry, in decimal milliseconds), which erases the key only
 * if its expiry is still that one when the tombstone is applied (a write in between made it a new key).
 *
 * @param key      the key
 * @param expireAt its expiry
 */
public record ExpiredKey(byte[] key, long expireAt) implements SourceOutput {
    /** The header of an expiry tombstone. */
    public static final String HEADER = "pequod.expired";
}
