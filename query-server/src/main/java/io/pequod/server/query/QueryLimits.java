package io.pequod.server.query;

import java.time.Duration;

/**
 * Request limits and waits.
 *
 * @param maxScanLimit   the largest {@code limit} a scan may ask for
 * @param defaultLimit   the limit when none is given
 * @param maxWait        how long a read waits for its write to be applied before answering 503
 */
public record QueryLimits(int maxScanLimit, int defaultLimit, Duration maxWait) {
    /** @return the defaults: scans of at most 10,000 entries (100 by default), waits of at most 5 s */
    public static QueryLimits defaults() {
        return new QueryLimits(10_000, 100, Duration.ofSeconds(5));
    }
}
