package io.pequod.views.spec;

import java.util.Objects;

/**
 * Where something is in a join spec file.
 *
 * @param file   the file name as given (cannot be {@code null})
 * @param line   1-based line
 * @param column 1-based column
 */
public record SourcePosition(String file, int line, int column) {
    /** Validates the fields. */
    public SourcePosition {
        Objects.requireNonNull(file, "file cannot be null");
    }

    @Override
    public String toString() {
        return file + ":" + line + ":" + column;
    }
}
