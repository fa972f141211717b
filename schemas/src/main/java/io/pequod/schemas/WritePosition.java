package io.pequod.schemas;

import java.util.Objects;

/**
 * Where a write landed: topic, partition and offset. Its {@link #token()} is the freshness token a
 * reader can pass to wait until a store reflects the write.
 *
 * @param topic     the table topic (cannot be {@code null})
 * @param partition the partition
 * @param offset    the record's offset in the partition
 */
public record WritePosition(String topic, int partition, long offset) {
    /** Validates the fields. */
    public WritePosition {
        Objects.requireNonNull(topic, "topic cannot be null");
    }

    /** @return the token form, {@code topic:partition:offset} */
    public String token() {
        return topic + ":" + partition + ":" + offset;
    }

    /**
     * @param token a token from {@link #token()} (cannot be {@code null})
     * @return the position
     * @throws IllegalArgumentException naming the token if it is not {@code topic:partition:offset}
     */
    public static WritePosition parse(String token) {
        int b = token.lastIndexOf(':');
        int a = b > 0 ? token.lastIndexOf(':', b - 1) : -1;
        try {
            if (a <= 0) {
                throw new NumberFormatException();
            }
            return new WritePosition(token.substring(0, a), Integer.parseInt(token.substring(a + 1, b)),
                    Long.parseLong(token.substring(b + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("Invalid write token '" + token + "': expected topic:partition:offset");
        }
    }
}
