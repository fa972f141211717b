package io.pequod.server.query;

import java.util.LinkedHashSet;
import java.util.Set;

/**
 * What a read learned about its own answer: whether some of it came from a copy that may be
 * behind (a standby or restoring store, because the owner did not answer or the caller allowed
 * it), how many records that copy may miss, and why it was read. One per request; front ends
 * show it ({@code "stale": true} and {@code "lag"} in JSON, a {@code Pequod-Stale} header).
 */
public final class ReadNote {
    private boolean stale;
    private long lag;
    private final Set<String> reasons = new LinkedHashSet<>();

    /**
     * Records that part of the answer came from a copy that may be behind.
     *
     * @param copyLag how many records that copy may miss, or -1 if unknown
     * @param why     why it was read, naming the instances
     */
    public synchronized void stale(long copyLag, String why) {
        lag = !stale ? copyLag : lag < 0 || copyLag < 0 ? -1 : lag + copyLag;
        stale = true;
        if (why != null) {
            reasons.add(why);
        }
    }

    /** @return whether part of the answer may be behind */
    public synchronized boolean isStale() {
        return stale;
    }

    /** @return how many records the copies read may miss in all (0 if fresh; -1 if unknown) */
    public synchronized long lag() {
        return lag;
    }

    /** @return why copies that may be behind answered, or an empty string */
    public synchronized String reason() {
        return String.join("; ", reasons);
    }
}
