package io.pequod.server.query;

import io.pequod.schemas.InvalidKeyException;
import io.pequod.schemas.Key;
import io.pequod.schemas.Range;

/** The checks of a request's keys, ranges and limits, failing with a {@link QueryException} that names what is wrong. */
final class RequestChecks {
    private RequestChecks() {
    }

    /** @return the half-open range {@code [first, last)} @throws QueryException if either is missing or not a key */
    static Range range(byte[] first, byte[] last) {
        if (first == null || last == null) {
            throw QueryException.badRequest("a range needs first and last (half-open [first, last))");
        }
        checkKey(first);
        if (last.length > Key.MAX_LENGTH + 1) {
            throw QueryException.badRequest("last is " + last.length + " bytes; keys are at most " + Key.MAX_LENGTH);
        }
        try {
            return new Range(first, last);
        } catch (InvalidKeyException e) {
            throw QueryException.badRequest(e.getMessage());
        }
    }

    /** @return the scan limit asked for, or the default @throws QueryException if out of range */
    static int limit(QueryLimits limits, Integer limit) {
        if (limit == null) {
            return limits.defaultLimit();
        }
        if (limit < 1 || limit > limits.maxScanLimit()) {
            throw QueryException.badRequest("limit " + limit + " is out of range; use 1 to " + limits.maxScanLimit());
        }
        return limit;
    }

    /** @throws QueryException if {@code key} is not a valid key, saying why */
    static void checkKey(byte[] key) {
        String problem = Key.validate(key);
        if (problem != null) {
            throw QueryException.badRequest(problem);
        }
    }
}
