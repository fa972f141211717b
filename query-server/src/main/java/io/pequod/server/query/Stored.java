package io.pequod.server.query;

/**
 * A key's value with its expiry and creation time.
 *
 * @param value     the value
 * @param expireAt  when the key expires, in milliseconds since the epoch, or {@code null} if it does not
 * @param createdAt when the key was created (the timestamp of the write that found it absent), in
 *                  milliseconds since the epoch, or {@code null} if unknown (a view's row, or a key not
 *                  written since creation times were kept)
 */
public record Stored(byte[] value, Long expireAt, Long createdAt) {
}
