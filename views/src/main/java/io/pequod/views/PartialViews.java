package io.pequod.views;

import io.pequod.views.internals.engine.OnDemand;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * The partial views computed by this instance (joins declared {@code partial}): a read of one of
 * their ranges that is not materialized yet materializes it first ({@link #materialize}), and the
 * figures operators watch ({@link #stats}).
 */
public final class PartialViews {
    private final OnDemand onDemand;

    PartialViews(OnDemand onDemand) {
        this.onDemand = onDemand;
    }

    /** What a partial view did on this instance since start. */
    public record Stats(long ranges, long activations, long evictions, long backfills, double backfillMsTotal,
                        double backfillMsMax) {
    }

    /**
     * @param table a table
     * @return whether it is a partial view computed here (a read of it must stay within one range)
     */
    public boolean isPartial(String table) {
        return onDemand != null && onDemand.range(table) != null;
    }

    /**
     * @param table the table read
     * @param first the read's first key
     * @param last  its end (exclusive), or {@code null} for a get
     * @return why the read cannot be answered (it spans several ranges of a partial view), or {@code null}
     */
    public String problem(String table, byte[] first, byte[] last) {
        return onDemand == null ? null : onDemand.problem(table, first, last);
    }

    /**
     * @param table the table read
     * @param first the read's first key
     * @param last  its end (exclusive), or {@code null} for a get
     * @return completes when the read may be answered from the view's store: at once for any other
     * table and for a range already materialized; after the range's back-fill otherwise (up to
     * 30 s). Fails with an {@link IllegalArgumentException} naming the view for a read spanning
     * several of its ranges
     */
    public CompletableFuture<Void> materialize(String table, byte[] first, byte[] last) {
        return onDemand == null ? CompletableFuture.completedFuture(null) : onDemand.materialize(table, first, last);
    }

    /**
     * @param table a partial view
     * @param key   a key of it
     * @return whether the key's range is materialized here now; asks for nothing and never blocks
     */
    public boolean materializedNow(String table, byte[] key) {
        return onDemand != null && onDemand.materializedNow(table, key);
    }

    /** @return per partial view: materialized ranges here, activations, evictions, back-fills and their time */
    public Map<String, Stats> stats() {
        Map<String, Stats> out = new TreeMap<>();
        if (onDemand != null) {
            onDemand.stats().forEach((v, s) -> out.put(v, new Stats(s.ranges(), s.activations(), s.evictions(), s.backfills(),
                    s.backfillMsTotal(), s.backfillMsMax())));
        }
        return out;
    }
}
