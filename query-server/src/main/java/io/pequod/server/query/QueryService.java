package io.pequod.server.query;

import com.fasterxml.jackson.databind.JsonNode;
import io.pequod.ingest.ChangeWriter;
import io.pequod.schemas.Expiry;
import io.pequod.schemas.Key;
import io.pequod.schemas.PequodException;
import io.pequod.schemas.Range;
import io.pequod.schemas.WritePosition;
import io.pequod.schemas.avro.Operation;
import io.pequod.views.ViewCatalog;
import io.pequod.views.ViewEngine;
import org.apache.kafka.streams.state.HostInfo;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * Reads and writes over every instance's stores; every front end (HTTP, RESP, memento) goes
 * through it, and failures come out as {@link QueryException}s carrying a {@link Failure}. A
 * facade over {@code Routing} (who owns what), {@code LocalReads} (this instance's stores),
 * {@code FanOut} (reads across instances, pull joins, settle), {@code Freshness} (write tokens and
 * read-your-writes) and {@code Writes}.
 *
 * <p>Reads take {@code after}: write tokens ({@code topic:partition:offset}, comma-separated) to
 * wait for, {@value #INSTANCE_WRITES} for every write made through this instance (what Redis
 * clients get), or {@code null}. Blocking; call from worker threads. Thread-safe.
 */
public final class QueryService {
    /** The {@code after} of reads that see every write made through this instance. */
    public static final String INSTANCE_WRITES = "instance";

    private final ViewEngine engine;
    private final QueryLimits limits;
    private final Routing routing;
    private final Freshness freshness;
    private final LocalReads local;
    private final FanOut fanOut;
    private final Writes writes;

    /**
     * @param engine the running view engine
     * @param writer the writer, configured with the engine's partitioning rule and view tables
     * @param self   this instance's HTTP endpoint as Streams advertises it
     * @param peers  client of the other instances
     * @param limits request limits
     */
    public QueryService(ViewEngine engine, ChangeWriter writer, HostInfo self, PeerClient peers, QueryLimits limits) {
        this.engine = engine;
        this.limits = limits;
        this.routing = new Routing(engine, self);
        this.freshness = new Freshness(engine, limits);
        this.local = new LocalReads(engine, routing, freshness);
        this.fanOut = new FanOut(engine, routing, local, freshness, peers, limits);
        this.writes = new Writes(engine, writer, routing, local, freshness, peers, limits);
    }

    /** @return whether this is the only instance of its namespace, so that no read blocks on another */
    public boolean singleInstance() {
        return routing.singleInstance();
    }

    /** @return the limits */
    public QueryLimits limits() {
        return limits;
    }

    /** @return the engine's catalog */
    public ViewCatalog catalog() {
        return engine.catalog();
    }

    /**
     * @param key   the key
     * @param after what to wait for (see the class comment)
     * @param stale whether a restoring or standby copy may answer even when the owner can
     * @param note  receives whether the answer may be stale (a copy answered for an owner that did not)
     * @return the value, or empty if absent
     * @throws QueryException a bad key, no copy available, or the write not applied in time
     */
    public Optional<byte[]> get(byte[] key, String after, boolean stale, ReadNote note) {
        RequestChecks.checkKey(key);
        String table = Key.tableOf(key);
        local.checkPartial(table, key, null);
        String tokens = tokens(table, after);
        ViewCatalog c = freshness.awaitTable(table, tokens);
        fanOut.awaitViews(c, table, tokens);
        Optional<byte[]> materialized = c.tables().contains(table) ? fanOut.get(c, table, key, tokens, stale, note) : Optional.empty();
        if (materialized.isPresent() || c.pullJoins(table).isEmpty()) {
            return materialized;
        }
        return Optional.ofNullable(fanOut.pull(c, table, new Range(key, Arrays.copyOf(key, key.length + 1)), note).get(key));
    }

    /**
     * @param first inclusive start; its table is the table scanned
     * @param last  exclusive end
     * @param limit most entries, or {@code null} for the default
     * @param after what to wait for (see the class comment)
     * @param stale whether restoring or standby copies may answer
     * @return entries in key order, and whether the limit cut the range
     * @param note  receives whether the answer may be stale
     */
    public ScanResult scan(byte[] first, byte[] last, Integer limit, String after, boolean stale, ReadNote note) {
        Range range = RequestChecks.range(first, last);
        int lim = RequestChecks.limit(limits, limit);
        String table = Key.tableOf(first);
        local.checkPartial(table, first, last);
        String tokens = tokens(table, after);
        ViewCatalog c = freshness.awaitTable(table, tokens);
        fanOut.awaitViews(c, table, tokens);
        ScanResult materialized = c.tables().contains(table)
                ? fanOut.scan(c, table, range, lim, tokens, stale, note)
                : new ScanResult(List.of(), false);
        if (c.pullJoins(table).isEmpty()) {
            return materialized;
        }
        TreeMap<byte[], byte[]> all = fanOut.pull(c, table, range, note);
        materialized.entries().forEach(e -> all.put(e.key(), e.value()));
        List<Entry> out = new ArrayList<>();
        for (Map.Entry<byte[], byte[]> e : all.entrySet()) {
            if (out.size() == lim) {
                return new ScanResult(out, true);
            }
            out.add(new Entry(e.getKey(), e.getValue()));
        }
        return new ScanResult(out, materialized.more());
    }

    /** @return the number of keys in {@code [first, last)}; {@code note} receives whether the answer may be stale */
    public long count(byte[] first, byte[] last, String after, boolean stale, ReadNote note) {
        return count(first, last, after, stale, false, note);
    }

    /**
     * @param expiring whether to count only the keys that have an expiry (a table users write; not views with pull joins)
     * @return the number of keys in {@code [first, last)}; {@code note} receives whether the answer may be stale
     */
    public long count(byte[] first, byte[] last, String after, boolean stale, boolean expiring, ReadNote note) {
        Range range = RequestChecks.range(first, last);
        String table = Key.tableOf(first);
        local.checkPartial(table, first, last);
        String tokens = tokens(table, after);
        ViewCatalog c = catalog();
        if (!c.pullJoins(table).isEmpty()) {
            return FanOut.pages(first, from -> scan(from, last, limits.maxScanLimit(), tokens, stale, note)).size();
        }
        if (!c.tables().contains(table)) {
            return 0;
        }
        fanOut.awaitViews(c, table, tokens);
        return fanOut.count(c, table, range, tokens, stale, expiring, note);
    }

    /** Starts the partial views' activations a batch of reads needs, all at once ({@code LocalReads#prefetch}). */
    public void prefetch(List<byte[][]> ranges) {
        local.prefetch(ranges);
    }

    /** Reads a key with its expiry, wherever its partition is, seeing this instance's writes. @return the value and expiry, or empty if absent or expired */
    public Optional<Stored> getStored(byte[] key) {
        RequestChecks.checkKey(key);
        String table = Key.tableOf(key);
        String tokens = tokens(table, INSTANCE_WRITES);
        ViewCatalog c = freshness.awaitTable(table, tokens);
        return c.tables().contains(table) ? fanOut.getStored(c, table, key, tokens, false, new ReadNote()) : Optional.empty();
    }

    /** Reads a key and its expiry from this instance's store (the caller routed it here). */
    public Optional<Stored> getStoredLocal(byte[] key, String after, boolean stale, ReadNote note) {
        return local.getStored(key, after, stale, note);
    }

    /** Reads a key from this instance's store (the caller routed it here). @return the value, or empty */
    public Optional<byte[]> getLocal(byte[] key, String after, boolean stale, ReadNote note) {
        return local.get(key, after, stale, note);
    }

    /** Scans this instance's partitions of a table (the caller routed them here). */
    public ScanResult scanLocal(String table, byte[] first, byte[] last, int limit, Collection<Integer> partitions,
                                String after, boolean stale, ReadNote note) {
        return local.scan(table, first, last, limit, partitions, after, stale, note);
    }

    /** Counts this instance's partitions of a table. */
    public long countLocal(String table, byte[] first, byte[] last, Collection<Integer> partitions, String after, boolean stale,
                           boolean expiring, ReadNote note) {
        return local.count(table, first, last, partitions, after, stale, expiring, note);
    }

    /** @param table a materialized table @return how many keys of it the partitions this instance hosts hold */
    public long countLocalTable(String table) {
        return local.countTable(table);
    }

    /**
     * Answers a get without blocking, when it can (the partition is here, this instance's writes
     * to it applied, no pull joins).
     * @param key a key
     * @return the answer (the value or empty), or {@code null} if the caller must use {@link #get}
     */
    public Optional<byte[]> getNow(byte[] key) {
        return local.getNow(key);
    }

    /** @return the write's position once acknowledged @throws PequodException if the key or value is invalid or the table a view */
    public WritePosition put(byte[] key, byte[] value) {
        return writes.put(key, value);
    }

    /** @return the position of the tombstone */
    public WritePosition erase(byte[] key) {
        return writes.erase(key);
    }

    /** A PUT, or an erase if {@code value} is null, answered from the send callback (see {@link Writes#writeAsync}). */
    public CompletableFuture<WritePosition> writeAsync(byte[] key, byte[] value) {
        return writes.writeAsync(key, value);
    }

    /**
     * Writes many keys in order (null value = erase), pipelined; no thread waits for the acknowledgements.
     * @param batch key and value pairs
     * @return the last position written per topic partition, once all are acknowledged
     * @throws QueryException naming the first invalid key, before anything is written
     */
    public CompletableFuture<Map<String, WritePosition>> writeAll(List<byte[][]> batch) {
        batch.forEach(w -> RequestChecks.checkKey(w[0]));
        return writes.writeAll(batch);
    }

    /**
     * Applies a read-modify-write ({@code INCR}, {@code INCRF}, {@code APPEND}, {@code PREPEND}) on
     * the key's owner and answers the value it produced.
     * @return the value after this change, completed when the owner reports it (failed with a
     *     {@link PequodException} if the amount or the current value is not a number)
     */
    public CompletableFuture<Optional<byte[]>> readModifyWrite(byte[] key, Operation op, byte[] amount) {
        return readModifyWrite(key, op, amount, Expiry.NONE);
    }

    /** A change the key's owner applies and answers ({@link #readModifyWrite}), saying what it does to the key's expiry. */
    public CompletableFuture<Optional<byte[]>> readModifyWrite(byte[] key, Operation op, byte[] amount, Expiry expiry) {
        RequestChecks.checkKey(key);
        return writes.readModifyWrite(key, op, amount, expiry);
    }

    /** Applies a read-modify-write here, as the owner of the key's partition. */
    public CompletableFuture<Optional<byte[]>> readModifyWriteLocal(byte[] key, Operation op, byte[] amount, Expiry expiry) {
        return writes.readModifyWriteLocal(key, op, amount, expiry);
    }

    /**
     * @param table a table
     * @return tokens of the latest writes this instance made to the table (for a view: to the
     * tables, while the views may not reflect them), or {@code null}
     */
    public String writtenTokens(String table) {
        return freshness.writtenTokens(catalog(), table);
    }

    /** @return every instance of the namespace that Streams knows of, this one first */
    public List<HostInfo> instances() {
        return routing.instances();
    }

    /** @return this instance's endpoint */
    public HostInfo self() {
        return routing.self();
    }

    /**
     * Waits until every instance's stores reflect the writes made before this call.
     * @param timeout how long to wait in all
     * @return whether every instance settled in time
     * @throws InterruptedException if interrupted
     * @throws QueryException       naming an instance that could not be asked
     */
    public boolean settleAll(Duration timeout) throws InterruptedException {
        return fanOut.settleAll(timeout);
    }

    /** @param pathAndQuery an endpoint about one instance ({@code /v1/stats?...}) @return each other instance's answer */
    public Map<HostInfo, JsonNode> askOthers(String pathAndQuery) {
        return fanOut.askOthers(pathAndQuery);
    }

    private String tokens(String table, String after) {
        return INSTANCE_WRITES.equals(after) ? writtenTokens(table) : after;
    }
}
