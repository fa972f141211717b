package io.pequod.apps.bench;

import java.time.Duration;

/**
 * Ends a benchmark's wait with an error when the thing waited for stops moving, instead of
 * waiting forever (a lost write, a stuck application): call {@link #progressed} in the wait loop.
 */
final class StallGuard {
    /** How long a count may stand still. */
    static final Duration LIMIT = Duration.ofSeconds(120);

    private final String what;
    private final long target;
    private long last = -1;
    private long since = System.nanoTime();

    /**
     * @param what   what is awaited, for the message ("records in the timeline topic")
     * @param target the count awaited
     */
    StallGuard(String what, long target) {
        this.what = what;
        this.target = target;
    }

    /**
     * @param now the count so far
     * @throws IllegalStateException if it has not changed for {@link #LIMIT}
     */
    void progressed(long now) {
        long t = System.nanoTime();
        if (now != last) {
            last = now;
            since = t;
        } else if (t - since > LIMIT.toNanos()) {
            throw new IllegalStateException("stalled: " + what + " stayed at " + now + " of " + target + " for "
                    + LIMIT.toSeconds() + " s");
        }
    }
}
