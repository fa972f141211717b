package io.pequod.server.query;

import com.fasterxml.jackson.databind.JsonNode;
import io.pequod.schemas.Range;
import io.pequod.views.JoinEvaluator;
import io.pequod.views.ViewCatalog;
import io.pequod.views.ViewEngine;
import io.pequod.views.spec.Join;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Reads across instances: a get goes to the key's owner, a scan or count to every owner of the
 * partitions it touches, merged in key order; pull joins are evaluated at read time over such
 * scans. Also the namespace-wide settle that view reads with tokens wait for.
 */
final class FanOut {
    private static final Logger LOG = LoggerFactory.getLogger(FanOut.class);
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

    /** Reads some partitions of a table on one instance: {@code null} for this one. */
    private interface PartitionRead<T> {
        T read(HostInfo host, List<Integer> partitions, String after, boolean stale);
    }

    /** @return the materialized value from the key's owner (or, if it does not answer, a copy) */
    Optional<byte[]> get(ViewCatalog c, String table, byte[] key, String after, boolean stale, ReadNote note) {
        int partition = c.partitionRule().partition(key, Routing.partitions(c, table));
        return read(c, table, List.of(partition), after, stale, (h, ps, a, s) -> h == null
                ? local.get(key, a, s, note) : peers.get(h, key, a, s, note)).get(0);
    }

    Optional<Stored> getStored(ViewCatalog c, String table, byte[] key, String after, boolean stale, ReadNote note) {
        int partition = c.partitionRule().partition(key, Routing.partitions(c, table));
        return read(c, table, List.of(partition), after, stale, (h, ps, a, s) -> h == null
                ? local.getStored(key, a, s, note) : peers.getStored(h, key, a, s, note)).get(0);
    }

    ScanResult scan(ViewCatalog c, String table, Range range, int limit, String after, boolean stale, ReadNote note) {
        List<List<Entry>> lists = new ArrayList<>();
        boolean more = false;
        for (ScanResult r : read(c, table, Routing.partitionsOf(c, table, range), after, stale, (h, ps, a, s) -> h == null
                ? local.scan(table, range.first(), range.last(), limit, ps, a, s, note)
                : peers.scan(h, table, range.first(), range.last(), limit, ps, a, s, note))) {
            lists.add(r.entries());
            more |= r.more();
        }
        return LocalReads.merge(lists, limit, more);
    }

    long count(ViewCatalog c, String table, Range range, String after, boolean stale, boolean expiring, ReadNote note) {
        return read(c, table, Routing.partitionsOf(c, table, range), after, stale, (h, ps, a, s) -> h == null
                ? local.count(table, range.first(), range.last(), ps, a, s, expiring, note)
                : peers.count(h, table, range.first(), range.last(), ps, a, s, expiring, note)).stream().mapToLong(Long::longValue).sum();
    }

    /**
     * Reads partitions from their owners, each owner's at once. A partition whose owner does not
     * answer (or is known down, or whose store cannot be read now) is read from a copy instead.
     */
    private <T> List<T> read(ViewCatalog c, String table, List<Integer> partitions, String after, boolean stale, PartitionRead<T> r) {
        List<T> out = new ArrayList<>();
        for (Map.Entry<HostInfo, List<Integer>> e : routing.owners(c, table, partitions).entrySet()) {
            HostInfo owner = e.getKey();
            String why;
            if (owner == Routing.NOBODY) {
                why = "no instance owns it right now (tasks being assigned)";
            } else if (peers.health().isDown(owner)) {
                why = "its owner " + name(owner) + " did not answer lately";
            } else {
                try {
                    out.add(r.read(routing.isSelf(owner) ? null : owner, e.getValue(), after, stale));
                    continue;
                } catch (QueryException ex) {
                    if (!failsOver(ex)) {
                        throw ex;
                    }
                    why = ex.getMessage();
                    routing.forget(); // the owners may have moved: the next read asks Streams again
                }
            }
            for (int p : e.getValue()) {
                out.add(failover(c, table, p, after, why, r));
            }
        }
        return out;
    }

    /** @return whether another copy may answer what failed: the owner did not answer, or its store cannot be read now */
    private static boolean failsOver(QueryException e) {
        return e.isUnreachable() || LocalReads.NOT_QUERYABLE.equals(e.error());
    }

    /**
     * Reads a partition whose owner cannot answer. A read with write tokens waits (up to the
     * longest wait) until an owner that answers has it; any other read is answered at once by a
     * copy, this instance's first, then a standby's, then any other instance's (while tasks move, a
     * former owner may still hold one), marked as possibly stale.
     */
    private <T> T failover(ViewCatalog c, String table, int p, String after, String why, PartitionRead<T> r) {
        String what = "partition " + p + " of table " + table;
        if (after != null && !after.isBlank()) {
            return awaitOwner(c, table, p, after, why, r);
        }
        List<HostInfo> copies = new ArrayList<>();
        copies.add(routing.self());
        List<HostInfo> others = new ArrayList<>(routing.standbys(c, table, p)); // then any other: while
        others.addAll(routing.instances()); // tasks move, the former owner may still hold a copy
        others.forEach(h -> {
            if (!copies.contains(h) && !peers.health().isDown(h)) {
                copies.add(h);
            }
        });
        for (HostInfo h : copies) {
            try {
                T v = r.read(routing.isSelf(h) ? null : h, List.of(p), null, true);
                LOG.debug("{} read from a copy on {}: {}", what, name(h), why);
                return v;
            } catch (QueryException ex) {
                if (!failsOver(ex)) {
                    throw ex;
                }
            }
        }
        throw QueryException.unavailable(what + " cannot be read: " + why + "; no copy answered either (asked "
                + copies.stream().map(FanOut::name).collect(Collectors.joining(", ")) + "); retry in a few seconds");
    }

    /**
     * A read with write tokens of a partition whose owner cannot answer: no copy can show it
     * applied those writes, so it waits until an owner answers (the owner back, or its tasks
     * moved to another instance once the group's session expired).
     */
    private <T> T awaitOwner(ViewCatalog c, String table, int p, String after, String why, PartitionRead<T> r) {
        long deadline = System.nanoTime() + limits.maxWait().toNanos();
        while (System.nanoTime() < deadline) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            routing.forget();
            HostInfo owner = routing.owners(c, table, List.of(p)).keySet().iterator().next();
            if (owner != Routing.NOBODY && !peers.health().isDown(owner)) {
                try {
                    return r.read(routing.isSelf(owner) ? null : owner, List.of(p), after, false);
                } catch (QueryException ex) {
                    if (!failsOver(ex)) {
                        throw ex;
                    }
                }
            }
        }
        throw new QueryException(Failure.Kind.UNAVAILABLE, "not yet applied", "partition " + p + " of table " + table
                + " cannot be read with your writes (after=): " + why + ", and no copy can show it applied them; waited "
                + limits.maxWait().toMillis() + " ms for its tasks to move. Retry, or read without after= to get a standby's answer"
                + " marked stale");
    }

    private static String name(HostInfo h) {
        return h.host() + ":" + h.port();
    }

    /** @return every materialized entry of a range, page by page */
    List<Entry> scanAll(ViewCatalog c, String table, Range range, String after, boolean stale, ReadNote note) {
        return pages(range.first(), from -> scan(c, table, new Range(from, range.last()), limits.maxScanLimit(), after, stale, note));
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
    TreeMap<byte[], byte[]> pull(ViewCatalog c, String table, Range range, ReadNote note) {
        TreeMap<byte[], byte[]> out = new TreeMap<>(Arrays::compareUnsigned);
        for (Join j : c.pullJoins(table)) {
            out.putAll(JoinEvaluator.evaluate(j, (t, r) -> {
                List<Map.Entry<byte[], byte[]>> l = new ArrayList<>();
                if (c.tables().contains(t)) {
                    scanAll(c, t, r, null, false, note).forEach(e -> l.add(Map.entry(e.key(), e.value())));
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
