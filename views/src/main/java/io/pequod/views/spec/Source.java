package io.pequod.views.spec;

import java.util.Objects;

/**
 * One source of a join.
 *
 * @param pattern the key pattern (cannot be {@code null})
 * @param role    what the source does in the join (cannot be {@code null})
 */
public record Source(Pattern pattern, Role role) {
    /** Validates the fields. */
    public Source {
        Objects.requireNonNull(pattern, "pattern cannot be null");
        Objects.requireNonNull(role, "role cannot be null");
    }

    /** What a source does. */
    public enum Role {
        /** The value source: the pattern after the operator (or the last pattern without one). */
        VALUE,
        /** A context source ({@code using} or a bare pattern): binds slots, must exist. */
        USING,
        /** An existence test ({@code filter} or {@code using filter}). */
        FILTER
    }

    /** @return the source's table */
    public String table() {
        return pattern.table();
    }
}
