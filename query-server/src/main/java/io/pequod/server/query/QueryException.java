package io.pequod.server.query;

import io.pequod.schemas.PequodException;

/**
 * Carries a {@link Failure} out of the query side to the front end that maps it (a status and a
 * JSON body for HTTP, {@code -ERR} for RESP, an error line for memento).
 */
public class QueryException extends PequodException {
    private final Failure failure;

    /**
     * @param kind   the kind of failure
     * @param error  a short error name, e.g. {@code "not yet applied"}
     * @param detail what happened, naming the key, table or field
     */
    public QueryException(Failure.Kind kind, String error, String detail) {
        super(detail);
        this.failure = new Failure(kind, error, detail);
    }

    /** @return the failure */
    public Failure failure() {
        return failure;
    }

    /** @return the kind of failure */
    public Failure.Kind kind() {
        return failure.kind();
    }

    /** @return the short error name */
    public String error() {
        return failure.error();
    }

    /** @param detail what is wrong @return a bad request */
    public static QueryException badRequest(String detail) {
        return new QueryException(Failure.Kind.BAD_REQUEST, "bad request", detail);
    }

    /** @param detail why @return an unavailable */
    public static QueryException unavailable(String detail) {
        return new QueryException(Failure.Kind.UNAVAILABLE, "unavailable", detail);
    }

    /** The error name of {@link #unreachable}. */
    public static final String UNREACHABLE = "instance unreachable";

    /** @param detail which instance did not answer, and how @return an unavailable that another copy may answer */
    public static QueryException unreachable(String detail) {
        return new QueryException(Failure.Kind.UNAVAILABLE, UNREACHABLE, detail);
    }

    /** @return whether another instance did not answer at all (rather than answering an error) */
    public boolean isUnreachable() {
        return UNREACHABLE.equals(failure.error());
    }

    /** @param detail what is absent @return a not found */
    public static QueryException notFound(String detail) {
        return new QueryException(Failure.Kind.NOT_FOUND, "not found", detail);
    }

    /** @param detail what is allowed instead @return a method not allowed */
    public static QueryException notAllowed(String detail) {
        return new QueryException(Failure.Kind.NOT_ALLOWED, "method not allowed", detail);
    }
}
