package io.pequod.server.query;

import io.pequod.schemas.PequodException;

/**
 * A request that cannot be answered, with the HTTP status that says why: 400 bad request, 401
 * unauthorized, 404 absent, 503 not available now (moving partitions, a write not yet applied).
 * Front ends turn it into {@code {"error": ..., "detail": ...}} or {@code -ERR ...}.
 */
public class QueryException extends PequodException {
    private final int status;
    private final String error;

    /**
     * @param status the HTTP status
     * @param error  a short error name, e.g. {@code "not yet applied"}
     * @param detail what happened, naming the key, table or field
     */
    public QueryException(int status, String error, String detail) {
        super(detail);
        this.status = status;
        this.error = error;
    }

    /** @return the HTTP status */
    public int status() {
        return status;
    }

    /** @return the short error name */
    public String error() {
        return error;
    }

    /** @param detail what is wrong @return a 400 */
    public static QueryException badRequest(String detail) {
        return new QueryException(400, "bad request", detail);
    }

    /** @param detail why @return a 503 */
    public static QueryException unavailable(String detail) {
        return new QueryException(503, "unavailable", detail);
    }
}
