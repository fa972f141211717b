package io.pequod.views.spec;

import java.util.Locale;

/** How a join turns its matches into sink values (grouped by sink key). */
public enum Operator {
    /** The sink key takes the value source's value; erasing the source erases it. */
    COPY,
    /** The number of matches; stays at "0" when the last match leaves. */
    COUNT,
    /** The integer sum of the value source's values. */
    SUM,
    /** The bytewise-smallest value. */
    MIN,
    /** The bytewise-largest value. */
    MAX;

    /** @return the keyword, lower case */
    public String keyword() {
        return name().toLowerCase(Locale.ROOT);
    }
}
