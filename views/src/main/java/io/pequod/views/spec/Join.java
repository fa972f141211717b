package io.pequod.views.spec;

import java.util.List;
import java.util.Objects;

/**
 * One cache join: {@code sink = op value-source using context-sources}.
 *
 * @param sink     the sink pattern (cannot be {@code null})
 * @param operator the operator (cannot be {@code null}; {@code COPY} when none was written)
 * @param sources  the sources in the order written, exactly one of them the value source
 * @param pull     whether the join is computed at read time instead of maintained
 * @param text     the statement as written, normalized to single spaces
 * @param position where the statement starts
 * @param partial  whether the view is materialized on demand, per value of its sink's first slot
 *                 ({@link PartialRange}), instead of completely
 */
public record Join(Pattern sink, Operator operator, List<Source> sources, boolean pull, String text, SourcePosition position,
                   boolean partial) {
    /** A join materialized completely (or pulled). */
    public Join(Pattern sink, Operator operator, List<Source> sources, boolean pull, String text, SourcePosition position) {
        this(sink, operator, sources, pull, text, position, false);
    }

    /** Validates and copies. */
    public Join {
        Objects.requireNonNull(sink, "sink cannot be null");
        Objects.requireNonNull(operator, "operator cannot be null");
        sources = List.copyOf(sources);
        Objects.requireNonNull(text, "text cannot be null");
        Objects.requireNonNull(position, "position cannot be null");
    }

    /** @return the sink table */
    public String sinkTable() {
        return sink.table();
    }

    /** @return the value source */
    public Source valueSource() {
        return sources.stream().filter(s -> s.role() == Source.Role.VALUE).findFirst().orElseThrow();
    }
}
