package io.pequod.server.query;

import io.pequod.schemas.Key;
import io.pequod.views.PartialViews;
import io.pequod.views.ViewCatalog;
import io.pequod.views.ViewEngine;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * Reads of this instance's stores, for partitions the caller routed here. Stores are read through
 * the classic {@link ReadOnlyKeyValueStore} API, which does not take the lock that deadlocks IQv2
 * against writers (KAFKA-19629). A partition that moved away answers {@link Failure.Kind#UNAVAILABLE}.
 */
final class LocalReads {
    /** The error name of a partition whose store cannot be read here now (moving or restoring). */
    static final String NOT_QUERYABLE = "not queryable here";

    private final ViewEngine engine;
    private final Routing routing;
    private final Freshness freshness;

    LocalReads(ViewEngine engine, Routing routing, Freshness freshness) {
        this.engine = engine;
        this.routing = routing;
        this.freshness = freshness;
    }

    /**
     * A read of a partial view's range that is not materialized yet materializes it first (here:
     * reads are routed to the owner of the range's partition, whose materializer sees the
     * back-fill's markers).
     *
     * @throws QueryException a read spanning several ranges, or a back-fill not done in time
     */
    void materialize(String table, byte[] first, byte[] last) {
        PartialViews partial = engine.partialViews();
        if (!partial.isPartial(table)) {
            return;
        }
        try {
            partial.materialize(table, first, last).get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IllegalArgumentException bad) {
                throw QueryException.badRequest(bad.getMessage());
            }
            if (e.getCause() instanceof TimeoutException) {
                throw QueryException.unavailable("view " + table + ": the range of " + new String(first, StandardCharsets.UTF_8)
                        + " was not materialized in time (its back-fill did not finish); retry");
            }
            throw QueryException.unavailable("view " + table + ": could not materialize the range of "
                    + new String(first, StandardCharsets.UTF_8) + ": " + e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw QueryException.unavailable("interrupted while the range of " + new String(first, StandardCharsets.UTF_8)
                    + " was materialized");
        }
    }

    /** @throws QueryException for a read spanning several ranges of a partial view (each is materialized when first read) */
    void checkPartial(String table, byte[] first, byte[] last) {
        String problem = engine.partialViews().problem(table, first, last);
        if (problem != null) {
            throw QueryException.badRequest(problem);
        }
    }

    /**
     * Starts materializing the partial views' ranges that a batch of reads needs, all at once, so
     * that the batch waits for their back-fills side by side rather than one after another (on a
     * single instance, where every range's markers arrive; elsewhere each read starts its own).
     *
     * @param ranges {first, last} of each read
     */
    void prefetch(List<byte[][]> ranges) {
        if (!routing.singleInstance()) {
            return;
        }
        PartialViews partial = engine.partialViews();
        for (byte[][] r : ranges) {
            String table = Key.tableOf(r[0]);
            if (partial.isPartial(table) && partial.problem(table, r[0], r[1]) == null) {
                partial.materialize(table, r[0], r[1]);
            }
        }
    }

    /**
     * @return whether a read of a partial view's range can be answered now (its range is
     * materialized), or another table; never blocks nor sends anything (the event loop calls it):
     * a cold range takes the blocking path, which materializes it
     */
    private boolean materializedNow(String table, byte[] key) {
        PartialViews partial = engine.partialViews();
        return !partial.isPartial(table) || partial.materializedNow(table, key);
    }

    Optional<byte[]> get(byte[] key, String after, boolean stale, ReadNote note) {
        return getStored(key, after, stale, note).map(Stored::value);
    }

    /** @return the key's value and expiry; empty if absent or expired */
    Optional<Stored> getStored(byte[] key, String after, boolean stale, ReadNote note) {
        String table = Key.tableOf(key);
        ViewCatalog c = engine.catalog();
        if (!c.tables().contains(table)) {
            return Optional.empty();
        }
        materialize(table, key, null);
        int partition = c.partitionRule().partition(key, Routing.partitions(c, table));
        freshness.awaitTokens(c, table, List.of(partition), after);
        try {
            // The expiry before the value: the owner erases a value before its expiry, so a value
            // read after its expiry was found absent is not one that has just expired.
            Long at = expiry(c, table, partition, stale, key);
            byte[] v = store(c, table, partition, stale).get(Bytes.wrap(key));
            noteCopy(c, table, partition, stale, note);
            if (v == null) {
                return Optional.empty();
            }
            if (at != null && System.currentTimeMillis() >= at) {
                return Optional.empty();
            }
            return Optional.of(new Stored(v, at, creationTime(c, table, partition, stale, key)));
        } catch (InvalidStateStoreException e) {
            throw moved(c, table, partition, stale, e);
        }
    }

    /** @return the key's expiry, or {@code null} (none, or a view) */
    private static Long expiry(ViewCatalog c, String table, int partition, boolean stale, byte[] key) {
        ReadOnlyKeyValueStore<Bytes, byte[]> e = expiries(c, table, partition, stale);
        return e == null ? null : ViewCatalog.expiry(e.get(Bytes.wrap(key)));
    }

    /** @return the key's creation time, or {@code null} (unknown, or a view) */
    private static Long creationTime(ViewCatalog c, String table, int partition, boolean stale, byte[] key) {
        try {
            ReadOnlyKeyValueStore<Bytes, byte[]> s = c.creationTimes(table, partition, stale);
            return s == null ? null : ViewCatalog.creationTime(s.get(Bytes.wrap(key)));
        } catch (InvalidStateStoreException e) {
            return null; // its table store answered: the creation time is unknown here, not the read
        }
    }

    /** @return the partition's expiry store, or {@code null} (a view, or a store not open here) */
    private static ReadOnlyKeyValueStore<Bytes, byte[]> expiries(ViewCatalog c, String table, int partition, boolean stale) {
        try {
            return c.expiries(table, partition, stale);
        } catch (InvalidStateStoreException e) {
            return null; // its table store answered: the key's expiry is unknown here, not the read
        }
    }

    /** @return whether the key expired (its owner's tombstone may not have erased it yet) */
    private static boolean expired(ReadOnlyKeyValueStore<Bytes, byte[]> expiries, byte[] key, long now) {
        if (expiries == null) {
            return false;
        }
        Long at = ViewCatalog.expiry(expiries.get(Bytes.wrap(key)));
        return at != null && now >= at;
    }

    ScanResult scan(String table, byte[] first, byte[] last, int limit, Collection<Integer> partitions, String after, boolean stale,
                    ReadNote note) {
        materialize(table, first, last);
        ViewCatalog c = engine.catalog();
        freshness.awaitTokens(c, table, partitions, after);
        List<List<Entry>> lists = new ArrayList<>();
        for (int p : partitions) {
            List<Entry> l = new ArrayList<>();
            long now = System.currentTimeMillis();
            try (KeyValueIterator<Bytes, byte[]> it = store(c, table, p, stale).range(Bytes.wrap(first), Bytes.wrap(last))) {
                ReadOnlyKeyValueStore<Bytes, byte[]> expiries = expiries(c, table, p, stale);
                while (it.hasNext() && l.size() <= limit) {
                    KeyValue<Bytes, byte[]> kv = it.next();
                    if (Arrays.compareUnsigned(kv.key.get(), last) >= 0) {
                        break; // range() on some stores includes the upper bound
                    }
                    if (!expired(expiries, kv.key.get(), now)) {
                        l.add(new Entry(kv.key.get(), kv.value));
                    }
                }
            } catch (InvalidStateStoreException e) {
                throw moved(c, table, p, stale, e);
            }
            noteCopy(c, table, p, stale, note);
            lists.add(l);
        }
        return merge(lists, limit, false);
    }

    /** @param expiring whether to count only the keys that have an expiry (INFO's {@code expires}) @return the keys in the range */
    long count(String table, byte[] first, byte[] last, Collection<Integer> partitions, String after, boolean stale, boolean expiring,
               ReadNote note) {
        materialize(table, first, last);
        return countStored(table, first, last, partitions, after, stale, expiring, note);
    }

    /** Counts what the stores hold, without materializing anything. */
    private long countStored(String table, byte[] first, byte[] last, Collection<Integer> partitions, String after, boolean stale,
                             boolean expiring, ReadNote note) {
        ViewCatalog c = engine.catalog();
        freshness.awaitTokens(c, table, partitions, after);
        long n = 0;
        for (int p : partitions) {
            long now = System.currentTimeMillis();
            try (KeyValueIterator<Bytes, byte[]> it = store(c, table, p, stale).range(Bytes.wrap(first), Bytes.wrap(last))) {
                ReadOnlyKeyValueStore<Bytes, byte[]> expiries = expiries(c, table, p, stale);
                while (it.hasNext()) {
                    byte[] k = it.next().key.get();
                    if (Arrays.compareUnsigned(k, last) >= 0) {
                        continue;
                    }
                    Long at = expiries == null ? null : ViewCatalog.expiry(expiries.get(Bytes.wrap(k)));
                    if ((at == null || now < at) && (!expiring || at != null)) {
                        n++;
                    }
                }
            } catch (InvalidStateStoreException e) {
                throw moved(c, table, p, stale, e);
            }
            noteCopy(c, table, p, stale, note);
        }
        return n;
    }

    /** @return how many keys of a table the partitions this instance hosts hold */
    long countTable(String table) {
        ViewCatalog c = engine.catalog();
        // Every key of a table's store belongs to the table; kv's keys have no "kv|" prefix.
        byte[] first = new byte[0];
        byte[] last = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF};
        List<Integer> mine = new ArrayList<>();
        for (Map.Entry<HostInfo, List<Integer>> e : routing.owners(c, table, Routing.all(Routing.partitions(c, table))).entrySet()) {
            if (routing.isSelf(e.getKey())) {
                mine.addAll(e.getValue());
            }
        }
        return countStored(table, first, last, mine, null, false, false, new ReadNote());
    }

    /**
     * Answers a get without blocking, when it can: the key's partition is on this instance, this
     * instance's writes to it are applied, and the table has no pull joins.
     *
     * @return the answer (the value or empty), or {@code null} if the caller must take the blocking path
     */
    Optional<byte[]> getNow(byte[] key) {
        if (Key.validate(key) != null) {
            return null;
        }
        String table = Key.tableOf(key);
        ViewCatalog c = engine.catalog();
        if (!c.isQueryable(table) || !c.pullJoins(table).isEmpty() || !routing.singleInstance() || !materializedNow(table, key)
                || c.isView(table) && freshness.viewsMayLag()) { // a view may not reflect this instance's writes yet
            return null;
        }
        int n = c.partitions(table);
        if (n < 1) {
            return null;
        }
        int partition = c.partitionRule().partition(key, n);
        String topic = c.topics().tableTopic(table);
        Long mine = freshness.writtenOffset(topic, partition);
        if (mine != null && engine.progress().offsets().appliedOffset(topic, partition) < mine) {
            return null;
        }
        try {
            boolean expired = expired(expiries(c, table, partition, false), key, System.currentTimeMillis()); // first, as in getStored
            byte[] v = c.store(table, partition, false).get(Bytes.wrap(key));
            return v == null || expired ? Optional.empty() : Optional.of(v);
        } catch (InvalidStateStoreException e) {
            c.forgetStores();
            return null;
        }
    }

    /** Merges per-partition lists in key order, cut at the limit. */
    static ScanResult merge(List<List<Entry>> lists, int limit, boolean more) {
        List<Entry> all = new ArrayList<>();
        lists.forEach(all::addAll);
        all.sort((a, b) -> Arrays.compareUnsigned(a.key(), b.key()));
        if (all.size() > limit) {
            return new ScanResult(List.copyOf(all.subList(0, limit)), true);
        }
        return new ScanResult(all, more);
    }

    private ReadOnlyKeyValueStore<Bytes, byte[]> store(ViewCatalog c, String table, int partition, boolean stale) {
        try {
            return c.store(table, partition, stale);
        } catch (InvalidStateStoreException e) {
            throw moved(c, table, partition, stale, e);
        }
    }

    /** Notes a read of a copy that may be behind: a standby, or a task restoring. */
    private void noteCopy(ViewCatalog c, String table, int partition, boolean stale, ReadNote note) {
        if (stale && !c.isActiveHere(table, partition)) {
            note.stale(c.copyLag(table, partition), "partition " + partition + " of table " + table + " read from a copy on "
                    + routing.self().host() + ":" + routing.self().port() + " that may be behind");
        }
    }

    private QueryException moved(ViewCatalog c, String table, int partition, boolean stale, InvalidStateStoreException e) {
        c.forgetStores();
        routing.forget();
        return new QueryException(Failure.Kind.UNAVAILABLE, NOT_QUERYABLE, "partition " + partition + " of table " + table
                + " is not queryable on this instance now (moving or restoring): " + e.getMessage()
                + (stale ? "" : "; retry, or pass stale=true to read a restoring copy"));
    }
}
