package io.pequod.views.spec;

import io.pequod.schemas.PequodException;

/**
 * A join spec is invalid. The message names file, line and column, the offending token and what
 * is allowed: {@code Invalid join spec twitter.pq:3:41: slot <poster> in sink is not bound by any source}.
 */
public class JoinSpecException extends PequodException {
    private final transient SourcePosition position;

    /**
     * @param position where the problem is (cannot be {@code null})
     * @param message  what is wrong and what is allowed
     */
    public JoinSpecException(SourcePosition position, String message) {
        super("Invalid join spec " + position + ": " + message);
        this.position = position;
    }

    /** @return where the problem is */
    public SourcePosition position() {
        return position;
    }
}
