package io.pequod.views.internals.processor;

/**
 * A change of one key's materialized value in a table.
 *
 * @param key      the key
 * @param oldValue the value before, or {@code null} if absent
 * @param newValue the value after, or {@code null} if erased
 */
public record KeyDelta(byte[] key, byte[] oldValue, byte[] newValue) implements SourceOutput {
}
