package io.pequod.server.query;

/**
 * Why a request cannot be answered, as a value every front end understands: HTTP maps the kind to
 * a status and answers {@code {"error": ..., "detail": ...}}, RESP answers {@code -ERR detail},
 * memento its error line. The query side knows nothing of either.
 *
 * @param kind   what kind of failure
 * @param error  a short error name, e.g. {@code "not yet applied"}
 * @param detail what happened, naming the key, table or field
 */
public record Failure(Kind kind, String error, String detail) {
    /** The kinds of failure. */
    public enum Kind {
        /** The request is malformed or names something invalid; do not retry as is. */
        BAD_REQUEST,
        /** The shared secret is missing or wrong. */
        UNAUTHORIZED,
        /** The key or endpoint does not exist. */
        NOT_FOUND,
        /** The endpoint exists, but not with this method. */
        NOT_ALLOWED,
        /** Not available now (partitions moving, another instance not answering, a write not applied yet); retry. */
        UNAVAILABLE,
        /** A bug: the server failed unexpectedly. */
        INTERNAL
    }
}
