package io.pequod.server.query;

import com.fasterxml.jackson.databind.JsonNode;
import io.pequod.schemas.Range;
import io.pequod.views.JoinEvaluator;
import io.pequod.views.ViewCatalog;
import io.pequod.views.ViewEngine;
import io.pequod.views.spec.Join;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.state.HostInfo;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Reads across instances: a get goes to the key's owner, a scan or count to every owner of the
 * partitions it touches, merged in key order; pull joins are evaluated at read time over such
 * scans. Also the namespace-wide settle that view reads with tokens wait for.
 */
final class FanOut {
    private final ViewEngine engine;
    private final Routing routing;
    private final LocalReads local;
    private final Freshness freshness;
    private final PeerClient peers;
    private final QueryLimits limits;

    FanOut(ViewEngine engine, Routing routing, LocalReads local, Freshness freshness, PeerClient peers, QueryLimits limits) {
        this.engine = engine;
        this.routing = routing;
        this.local = local;
        this.freshness = freshness;
        this.peers = peers;
        this.limits = limits;
    }

    /** @return the materialized value from the key's owner */
    Optional<byte[]> get(ViewCatalog c, String table, byte[] key, String after, boolean stale) {
        KeyQueryMetadata md = Routing.metadata(c, table, key);
        return routing.isLocal(md) ? local.get(key, after, stale) : peers.get(md.activeHost(), key, after, stale);
    }

    ScanResult scan(ViewCatalog c, String table, Range range, int limit, String after, boolean stale) {
        List<List<Entry>> lists = new ArrayList<>();
        boolean more = false;
        for (Map.Entry<HostInfo, List<Integer>> e : routing.owners(c, table, Routing.partitionsOf(c, table, range)).entrySet()) {
            ScanResult r = routing.isSelf(e.getKey())
                    ? local.scan(table, range.first(), range.last(), limit, e.getValue(), after, stale)
                    : peers.scan(e.getKey(), table, range.first(), range.last(), limit, e.getValue(), after, stale);
            lists.add(r.entries());
            more |= r.more();
        }
        return LocalReads.merge(lists, limit, more);
    }

    long count(ViewCatalog c, String table, Range range, String after, boolean stale) {
        long n = 0;
        for (Map.Entry<HostInfo, List<Integer>> e : routing.owners(c, table, Routing.partitionsOf(c, table, range)).entrySet()) {
            n += routing.isSelf(e.getKey()) ? local.count(table, range.first(), range.last(), e.getValue(), after, stale)
                    : peers.count(e.getKey(), table, range.first(), range.last(), e.getValue(), after, stale);
        }
        return n;
    }

    /** @return every materialized entry of a range, page by page */
    List<Entry> scanAll(ViewCatalog c, String table, Range range, String after, boolean stale) {
        return pages(range.first(), from -> scan(c, table, new Range(from, range.last()), limits.maxScanLimit(), after, stale));
    }

    /**
     * @param first the first key
     * @param page  a page of entries from a key on
     * @return every entry, page after page until one says there are no more
     */
    static List<Entry> pages(byte[] first, Function<byte[], ScanResult> page) {
        List<Entry> out = new ArrayList<>();
        byte[] from = first;
        while (true) {
            ScanResult r = page.apply(from);
            out.addAll(r.entries());
            if (!r.more() || r.entries().isEmpty()) {
                return out;
            }
            byte[] lastKey = r.entries().get(r.entries().size() - 1).key();
            from = Arrays.copyOf(lastKey, lastKey.length + 1);
        }
    }

    /** @return the entries the table's pull joins give over a range, evaluated now */
    TreeMap<byte[], byte[]> pull(ViewCatalog c, String table, Range range) {
        TreeMap<byte[], byte[]> out = new TreeMap<>(Arrays::compareUnsigned);
        for (Join j : c.pullJoins(table)) {
            out.putAll(JoinEvaluator.evaluate(j, (t, r) -> {
                List<Map.Entry<byte[], byte[]>> l = new ArrayList<>();
                if (c.tables().contains(t)) {
                    scanAll(c, t, r, null, false).forEach(e -> l.add(Map.entry(e.key(), e.value())));
                }
                return l;
            }, range));
        }
        return out;
    }

    /**
     * A read of a view (or pull join) with write tokens: the tokens name writes to its sources,
     * whose effects reach the view through the pipeline, so the read waits until every instance's
     * views reflect every write made before it (as {@code /v1/settle}; tens of ms).
     */
    void awaitViews(ViewCatalog c, String table, String after) {
        if (after == null || after.isBlank() || !c.isView(table)) {
            return;
        }
        Freshness.checkTokens(after);
        boolean settled;
        try {
            settled = settleAll(limits.maxWait());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw QueryException.unavailable("interrupted");
        }
        if (!settled) {
            throw new QueryException(Failure.Kind.UNAVAILABLE, "not yet applied", "view table " + table
                    + " did not reflect the writes before this read within " + limits.maxWait().toMillis() + " ms");
        }
    }

    /**
     * Waits until every instance's stores reflect the writes made before this call: this
     * instance's, then each other's ({@code /v1/settle?scope=local}).
     *
     * @return whether every instance settled in time
     */
    boolean settleAll(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long seen = freshness.writesSoFar();
        if (!engine.awaitSettled(timeout)) {
            return false;
        }
        for (HostInfo h : routing.instances()) {
            if (routing.isSelf(h)) {
                continue;
            }
            long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
            try {
                peers.get(h, "/v1/settle?scope=local&timeout_ms=" + left, Duration.ofMillis(left + 5_000));
            } catch (QueryException e) {
                if (e.kind() == Failure.Kind.UNAVAILABLE && e.getMessage().contains("did not catch up")) {
                    return false; // it did not settle in time
                }
                throw QueryException.unavailable("instance " + h.host() + ":" + h.port() + " could not settle: " + e.getMessage());
            }
        }
        freshness.settled(seen);
        return true;
    }

    /** @return each other instance's answer to an endpoint about itself, by instance */
    Map<HostInfo, JsonNode> askOthers(String pathAndQuery) {
        Map<HostInfo, JsonNode> out = new LinkedHashMap<>();
        for (HostInfo h : routing.instances()) {
            if (!routing.isSelf(h)) {
                out.put(h, peers.get(h, pathAndQuery, Duration.ofSeconds(60)));
            }
        }
        return out;
    }
}
