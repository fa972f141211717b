package io.pequod.server.query;

/**
 * A key's value with its expiry.
 *
 * @param value    the value
 * @param expireAt when the key expires, in milliseconds since the epoch, or {@code null} if it does not
 */
public record Stored(byte[] value, Long expireAt) {
}
