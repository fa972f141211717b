package io.pequod.server.query;

/**
 * A key and its value.
 *
 * @param key   the key's bytes
 * @param value the value's bytes
 */
public record Entry(byte[] key, byte[] value) {
}
