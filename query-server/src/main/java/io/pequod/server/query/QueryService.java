package io.pequod.server.query;

import io.pequod.ingest.ChangeWriter;
import io.pequod.schemas.InvalidKeyException;
import io.pequod.schemas.Key;
import io.pequod.schemas.PequodException;
import io.pequod.schemas.Range;
import io.pequod.schemas.WritePosition;
import io.pequod.schemas.avro.Operation;
import io.pequod.server.query.PeerClient;
import io.pequod.views.JoinEvaluator;
import io.pequod.views.AppliedOffsets;
import io.pequod.views.ViewCatalog;
import io.pequod.views.ViewEngine;
import io.pequod.views.spec.Join;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reads and writes over every instance's stores: {@code get} goes to the instance that owns the
 * key's partition (Streams metadata and the partitioning rule); a scan inside one partition key
 * reads one partition; a wider scan fans out to every partition's owner and merges in key order,
 * stopping at the limit; pull joins are evaluated at read time and merged in. Reads may wait for
 * write tokens ({@code topic:partition:offset}) to be applied first. Stores are read through the
 * classic {@link ReadOnlyKeyValueStore} API, which does not take the lock that deadlocks IQv2
 * against writers (KAFKA-19629). Blocking; call from worker threads. Thread-safe.
 */
public final class QueryService {
    /** How long partition owners are trusted without asking Kafka Streams again. */
    private static final long OWNERS_TTL_NANOS = 250_000_000L;

    private final ViewEngine engine;
    private final Map<String, Owners> owners = new java.util.concurrent.ConcurrentHashMap<>();
    private final ChangeWriter writer;
    private final HostInfo self;
    private final PeerClient peers;
    private final QueryLimits limits;
    /** Highest offset this instance wrote, by table topic and partition: the Redis front ends read after it. */
    private final Map<String, Map<Integer, Long>> written = new java.util.concurrent.ConcurrentHashMap<>();
    /** Grows with every write through this instance, once it is acknowledged. */
    private final AtomicLong writes = new AtomicLong();
    /** {@link #writes} when the latest successful {@link #settleAll} began: views reflect those writes. */
    private final AtomicLong settledWrites = new AtomicLong();

    /**
     * @param engine the running view engine
     * @param writer the writer, configured with the engine's partitioning rule and view tables
     * @param self   this instance's HTTP endpoint as Streams advertises it
     * @param peers  client of the other instances
     * @param limits request limits
     */
    public QueryService(ViewEngine engine, ChangeWriter writer, HostInfo self, PeerClient peers, QueryLimits limits) {
        this.engine = engine;
        this.writer = writer;
        this.self = self;
        this.peers = peers;
        this.limits = limits;
    }

    private volatile long singleCheckedAt;
    private volatile boolean single;

    /**
     * @return whether this is the only instance of its namespace (re-checked every second), so
     * that every read is local and cannot block on another instance
     */
    public boolean singleInstance() {
        long now = System.nanoTime();
        if (now - singleCheckedAt > 1_000_000_000L) {
            boolean s = true;
            ViewCatalog c = catalog();
            for (String t : c.tables()) {
                KafkaStreams ks = c.streams(t);
                try {
                    if (ks == null || ks.metadataForAllStreamsClients().size() > 1) {
                        s = false;
                        break;
                    }
                } catch (RuntimeException e) {
                    s = false;
                    break;
                }
            }
            single = s;
            singleCheckedAt = now;
        }
        return single;
    }

    /** @return the limits */
    public QueryLimits limits() {
        return limits;
    }

    /** @return the engine's catalog */
    public ViewCatalog catalog() {
        return engine.catalog();
    }

    // ---------------------------------------------------------------- reads

    /**
     * @param key   the key
     * @param after write tokens to wait for (comma-separated), or {@code null}
     * @param stale whether a restoring or standby copy may answer
     * @return the value, or empty if absent
     * @throws QueryException 400 for a bad key, 503 when the owner is unavailable or the write not applied
     */
    public Optional<byte[]> get(byte[] key, String after, boolean stale) {
        checkKey(key);
        String table = Key.tableOf(key);
        ViewCatalog c = awaitTable(table, after);
        awaitViews(c, table, after);
        Optional<byte[]> materialized = Optional.empty();
        if (c.tables().contains(table)) {
            KeyQueryMetadata md = metadata(c, table, key);
            materialized = self.equals(md.activeHost()) || md.activeHost().port() == -1
                    ? getLocal(key, after, stale)
                    : peers.get(md.activeHost(), key, after, stale);
        }
        if (materialized.isPresent() || c.pullJoins(table).isEmpty()) {
            return materialized;
        }
        byte[] next = Arrays.copyOf(key, key.length + 1);
        TreeMap<byte[], byte[]> pulled = pull(c, table, new Range(key, next));
        return Optional.ofNullable(pulled.get(key));
    }

    /**
     * Reads a key from this instance's store (the caller routed it here).
     *
     * @return the value, or empty
     */
    public Optional<byte[]> getLocal(byte[] key, String after, boolean stale) {
        String table = Key.tableOf(key);
        ViewCatalog c = catalog();
        if (!c.tables().contains(table)) {
            return Optional.empty();
        }
        int partition = c.partitionRule().partition(key, partitions(c, table));
        awaitTokens(c, table, List.of(partition), after);
        try {
            return Optional.ofNullable(localStore(c, table, partition, stale).get(Bytes.wrap(key)));
        } catch (InvalidStateStoreException e) {
            throw moved(c, table, partition, stale, e);
        }
    }

    /**
     * @param first inclusive start; its table is the table scanned
     * @param last  exclusive end
     * @param limit most entries, or {@code null} for the default
     * @param after write tokens to wait for, or {@code null}
     * @param stale whether restoring or standby copies may answer
     * @return entries in key order, and whether the limit cut the range
     */
    public ScanResult scan(byte[] first, byte[] last, Integer limit, String after, boolean stale) {
        Range range = range(first, last);
        int lim = limit(limit);
        String table = Key.tableOf(first);
        ViewCatalog c = awaitTable(table, after);
        awaitViews(c, table, after);
        ScanResult materialized = c.tables().contains(table)
                ? fanOut(c, table, range, lim, after, stale)
                : new ScanResult(List.of(), false);
        if (c.pullJoins(table).isEmpty()) {
            return materialized;
        }
        TreeMap<byte[], byte[]> all = pull(c, table, range);
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

    /**
     * @return the number of keys in {@code [first, last)}
     */
    public long count(byte[] first, byte[] last, String after, boolean stale) {
        Range range = range(first, last);
        String table = Key.tableOf(first);
        ViewCatalog c = catalog();
        if (!c.pullJoins(table).isEmpty()) {
            return scanAll(c, table, range, after, stale).size();
        }
        if (!c.tables().contains(table)) {
            return 0;
        }
        awaitViews(c, table, after);
        long n = 0;
        for (Map.Entry<HostInfo, List<Integer>> e : owners(c, table, partitionsOf(c, table, range)).entrySet()) {
            n += isSelf(e.getKey()) ? countLocal(table, first, last, e.getValue(), after, stale)
                    : peers.count(e.getKey(), table, first, last, e.getValue(), after, stale);
        }
        return n;
    }

    /** Scans this instance's partitions of a table (the caller routed them here). */
    public ScanResult scanLocal(String table, byte[] first, byte[] last, int limit, Collection<Integer> partitions,
                                String after, boolean stale) {
        ViewCatalog c = catalog();
        awaitTokens(c, table, partitions, after);
        List<List<Entry>> lists = new ArrayList<>();
        boolean more = false;
        for (int p : partitions) {
            List<Entry> l = new ArrayList<>();
            try (KeyValueIterator<Bytes, byte[]> it = localStore(c, table, p, stale).range(Bytes.wrap(first), Bytes.wrap(last))) {
                while (it.hasNext() && l.size() <= limit) {
                    KeyValue<Bytes, byte[]> kv = it.next();
                    if (Arrays.compareUnsigned(kv.key.get(), last) >= 0) {
                        break; // range() on some stores includes the upper bound
                    }
                    l.add(new Entry(kv.key.get(), kv.value));
                }
            } catch (InvalidStateStoreException e) {
                throw moved(c, table, p, stale, e);
            }
            lists.add(l);
        }
        return merge(lists, limit, more);
    }

    /** Counts this instance's partitions of a table. */
    public long countLocal(String table, byte[] first, byte[] last, Collection<Integer> partitions, String after, boolean stale) {
        ViewCatalog c = catalog();
        awaitTokens(c, table, partitions, after);
        long n = 0;
        for (int p : partitions) {
            try (KeyValueIterator<Bytes, byte[]> it = localStore(c, table, p, stale).range(Bytes.wrap(first), Bytes.wrap(last))) {
                while (it.hasNext()) {
                    if (Arrays.compareUnsigned(it.next().key.get(), last) < 0) {
                        n++;
                    }
                }
            } catch (InvalidStateStoreException e) {
                throw moved(c, table, p, stale, e);
            }
        }
        return n;
    }

    /**
     * @param table a materialized table
     * @return how many keys of it the partitions this instance hosts hold (one pass over each)
     */
    public long countLocalTable(String table) {
        ViewCatalog c = catalog();
        // Every key of a table's store belongs to the table; kv's keys have no "kv|" prefix.
        byte[] first = new byte[0];
        byte[] last = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF};
        List<Integer> every = new ArrayList<>();
        for (int i = 0; i < partitions(c, table); i++) {
            every.add(i);
        }
        List<Integer> mine = new ArrayList<>();
        for (Map.Entry<HostInfo, List<Integer>> e : owners(c, table, every).entrySet()) {
            if (isSelf(e.getKey())) {
                mine.addAll(e.getValue());
            }
        }
        return countLocal(table, first, last, mine, null, false);
    }

    private ScanResult fanOut(ViewCatalog c, String table, Range range, int limit, String after, boolean stale) {
        List<List<Entry>> lists = new ArrayList<>();
        boolean more = false;
        for (Map.Entry<HostInfo, List<Integer>> e : owners(c, table, partitionsOf(c, table, range)).entrySet()) {
            ScanResult r = isSelf(e.getKey())
                    ? scanLocal(table, range.first(), range.last(), limit, e.getValue(), after, stale)
                    : peers.scan(e.getKey(), table, range.first(), range.last(), limit, e.getValue(), after, stale);
            lists.add(r.entries());
            more |= r.more();
        }
        return merge(lists, limit, more);
    }

    private static ScanResult merge(List<List<Entry>> lists, int limit, boolean more) {
        List<Entry> all = new ArrayList<>();
        lists.forEach(all::addAll);
        all.sort((a, b) -> Arrays.compareUnsigned(a.key(), b.key()));
        if (all.size() > limit) {
            return new ScanResult(List.copyOf(all.subList(0, limit)), true);
        }
        return new ScanResult(all, more);
    }

    private List<Entry> scanAll(ViewCatalog c, String table, Range range, String after, boolean stale) {
        List<Entry> out = new ArrayList<>();
        byte[] from = range.first();
        while (true) {
            ScanResult r = scan(from, range.last(), limits.maxScanLimit(), after, stale);
            out.addAll(r.entries());
            if (!r.more() || r.entries().isEmpty()) {
                return out;
            }
            byte[] lastKey = r.entries().get(r.entries().size() - 1).key();
            from = Arrays.copyOf(lastKey, lastKey.length + 1);
        }
    }

    private TreeMap<byte[], byte[]> pull(ViewCatalog c, String table, Range range) {
        TreeMap<byte[], byte[]> out = new TreeMap<>(Arrays::compareUnsigned);
        for (Join j : c.pullJoins(table)) {
            out.putAll(JoinEvaluator.evaluate(j, (t, r) -> {
                List<Map.Entry<byte[], byte[]>> l = new ArrayList<>();
                if (c.tables().contains(t)) {
                    scanAllMaterialized(c, t, r).forEach(e -> l.add(Map.entry(e.key(), e.value())));
                }
                return l;
            }, range));
        }
        return out;
    }

    private List<Entry> scanAllMaterialized(ViewCatalog c, String table, Range range) {
        List<Entry> out = new ArrayList<>();
        byte[] from = range.first();
        while (true) {
            ScanResult r = fanOut(c, table, new Range(from, range.last()), limits.maxScanLimit(), null, false);
            out.addAll(r.entries());
            if (!r.more() || r.entries().isEmpty()) {
                return out;
            }
            byte[] lastKey = r.entries().get(r.entries().size() - 1).key();
            from = Arrays.copyOf(lastKey, lastKey.length + 1);
        }
    }

    // ---------------------------------------------------------------- writes

    /**
     * @return the write's position once acknowledged
     * @throws PequodException if the key or value is invalid or the table is a view
     */
    public WritePosition put(byte[] key, byte[] value) {
        return await(writer.write(key, Operation.PUT, value), key);
    }

    /**
     * Writes many keys in order (null value = erase), pipelined, and waits for all acknowledgements.
     *
     * @param writes key and value pairs
     * @return the last position written per topic partition
     * @throws PequodException naming the first invalid key, before anything is written
     */
    public Map<String, WritePosition> writeAll(List<byte[][]> writes) {
        for (byte[][] w : writes) {
            checkKey(w[0]);
        }
        List<CompletableFuture<WritePosition>> fs = new ArrayList<>(writes.size());
        for (byte[][] w : writes) {
            fs.add(w[1] == null ? writer.erase(w[0]) : writer.write(w[0], Operation.PUT, w[1]));
        }
        Map<String, WritePosition> last = new HashMap<>();
        for (int i = 0; i < fs.size(); i++) {
            WritePosition p = await(fs.get(i), writes.get(i)[0]);
            last.merge(p.topic() + ":" + p.partition(), p, (a, b) -> a.offset() >= b.offset() ? a : b);
        }
        return last;
    }

    /** @return the position of the tombstone */
    public WritePosition erase(byte[] key) {
        return await(writer.erase(key), key);
    }

    /**
     * Applies a read-modify-write ({@code INCR}, {@code INCRF}, {@code APPEND}, {@code PREPEND}) on
     * the key's owner and answers the value it produced.
     *
     * @return the value after this change
     * @throws PequodException if the amount or the current value is not a number (for increments)
     */
    public Optional<byte[]> readModifyWrite(byte[] key, Operation op, byte[] amount) {
        checkKey(key);
        String table = Key.tableOf(key);
        ViewCatalog c = catalog();
        if (!c.tables().contains(table)) {
            await(writer.write(key, op, amount), key); // creates the table; the next refresh materializes it
            engine.refreshTables();
            return readModifyWriteLocal(key, Operation.PUT, null);
        }
        KeyQueryMetadata md = metadata(c, table, key);
        if (isSelf(md.activeHost()) || md.activeHost().port() == -1) {
            return readModifyWriteLocal(key, op, amount);
        }
        Optional<byte[]> v = peers.readModifyWrite(md.activeHost(), key, op.name(), amount);
        writes.incrementAndGet(); // applied by the owner
        return v;
    }

    /** Applies a read-modify-write here, as the owner of the key's partition. */
    public Optional<byte[]> readModifyWriteLocal(byte[] key, Operation op, byte[] amount) {
        if (amount == null) {
            return getLocal(key, null, false);
        }
        String id = UUID.randomUUID().toString();
        CompletableFuture<byte[]> result = engine.progress().results().awaitResult(id);
        try {
            await(writer.write(key, op, amount, id), key);
            return Optional.ofNullable(result.get(limits.maxWait().toMillis(), TimeUnit.MILLISECONDS));
        } catch (ExecutionException e) {
            throw e.getCause() instanceof PequodException pe ? pe : new PequodException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw QueryException.unavailable("the change to key '" + Key.of(key) + "' was written but not applied within "
                    + limits.maxWait().toMillis() + " ms; its partition may be moving");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw QueryException.unavailable("interrupted");
        } finally {
            result.cancel(false);
        }
    }

    private WritePosition await(CompletableFuture<WritePosition> f, byte[] key) {
        try {
            WritePosition p = f.get(30, TimeUnit.SECONDS);
            written.computeIfAbsent(p.topic(), t -> new java.util.concurrent.ConcurrentHashMap<>())
                    .merge(p.partition(), p.offset(), Math::max);
            writes.incrementAndGet();
            if (!catalog().tables().contains(Key.tableOf(key))) {
                engine.refreshTables();
            }
            return p;
        } catch (ExecutionException e) {
            throw new QueryException(503, "write failed", e.getCause().getMessage());
        } catch (TimeoutException e) {
            throw QueryException.unavailable("Kafka did not acknowledge the write of key '" + Key.of(key) + "' within 30 s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw QueryException.unavailable("interrupted");
        }
    }

    /**
     * @param table a table
     * @return tokens of the latest writes this instance made to the table (comma-separated), or
     * {@code null}: reads passing them see every write made through this instance, as Redis
     * clients expect of one server
     */
    public String writtenTokens(String table) {
        ViewCatalog c = catalog();
        if (c.isView(table)) {
            // Views follow writes to their sources: while some write through this instance may not
            // be reflected yet, the tokens of every table this instance wrote (a view read settles).
            if (writes.get() <= settledWrites.get()) {
                return null;
            }
            StringBuilder sb = new StringBuilder();
            written.forEach((topic, m) -> m.forEach((part, off) ->
                    sb.append(sb.length() == 0 ? "" : ",").append(topic).append(':').append(part).append(':').append(off)));
            return sb.length() == 0 ? null : sb.toString();
        }
        String topic = c.topics().tableTopic(table);
        Map<Integer, Long> m = written.get(topic);
        if (m == null || m.isEmpty()) {
            return null;
        }
        StringBuilder sb = new StringBuilder();
        m.forEach((part, off) -> sb.append(sb.length() == 0 ? "" : ",").append(topic).append(':').append(part).append(':').append(off));
        return sb.toString();
    }

    // ---------------------------------------------------------------- routing helpers

    /**
     * The catalog, once it materializes {@code table} if a token says the reader wrote to it: the
     * first writes to a new table are readable as soon as the tables application has picked it up.
     */
    private ViewCatalog awaitTable(String table, String after) {
        ViewCatalog c = catalog();
        if (c.isQueryable(table) || after == null || !after.contains(c.topics().tableTopic(table) + ":")) {
            return c;
        }
        engine.refreshTables();
        long deadline = System.nanoTime() + limits.maxWait().toNanos();
        while (System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            c = catalog();
            if (c.isQueryable(table)) {
                return c;
            }
        }
        throw QueryException.unavailable("table " + table + " is new and not materialized yet; retry in a few seconds");
    }

    /** @return every instance of the namespace that Streams knows of, this one first */
    public List<HostInfo> instances() {
        java.util.Set<HostInfo> out = new java.util.LinkedHashSet<>();
        out.add(self);
        ViewCatalog c = catalog();
        for (String t : c.tables()) {
            KafkaStreams ks = c.streams(t);
            if (ks == null) {
                continue;
            }
            try {
                ks.metadataForAllStreamsClients().forEach(m -> out.add(m.hostInfo()));
            } catch (RuntimeException notRunning) {
                // its instances are found through the other applications
            }
        }
        return List.copyOf(out);
    }

    /** @return this instance's endpoint */
    public HostInfo self() {
        return self;
    }

    /**
     * Waits until every instance's stores reflect the writes made before this call: this
     * instance's, then each other's ({@code /v1/settle?scope=local}).
     *
     * @param timeout how long to wait in all
     * @return whether every instance settled in time
     * @throws InterruptedException if interrupted
     * @throws QueryException       503 naming an instance that could not be asked
     */
    public boolean settleAll(java.time.Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long seen = writes.get();
        if (!engine.awaitSettled(timeout)) {
            return false;
        }
        for (HostInfo h : instances()) {
            if (isSelf(h)) {
                continue;
            }
            long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
            try {
                peers.get(h, "/v1/settle?scope=local&timeout_ms=" + left, java.time.Duration.ofMillis(left + 5_000));
            } catch (QueryException e) {
                if (e.status() == 503 && e.getMessage().contains("did not catch up")) {
                    return false; // it did not settle in time
                }
                throw QueryException.unavailable("instance " + h.host() + ":" + h.port() + " could not settle: " + e.getMessage());
            }
        }
        settledWrites.accumulateAndGet(seen, Math::max);
        return true;
    }

    /**
     * @param pathAndQuery an endpoint about one instance ({@code /v1/stats?...})
     * @return each other instance's answer, by instance
     */
    public Map<HostInfo, com.fasterxml.jackson.databind.JsonNode> askOthers(String pathAndQuery) {
        Map<HostInfo, com.fasterxml.jackson.databind.JsonNode> out = new java.util.LinkedHashMap<>();
        for (HostInfo h : instances()) {
            if (!isSelf(h)) {
                out.put(h, peers.get(h, pathAndQuery, java.time.Duration.ofSeconds(60)));
            }
        }
        return out;
    }

    private boolean isSelf(HostInfo h) {
        return self.equals(h);
    }

    private static int partitions(ViewCatalog c, String table) {
        int n = c.partitions(table);
        if (n < 1) {
            throw QueryException.unavailable("table " + table + " is not materialized yet; retry in a few seconds");
        }
        return n;
    }

    private static KeyQueryMetadata metadata(ViewCatalog c, String table, byte[] key) {
        KeyQueryMetadata md;
        try {
            md = c.metadataFor(table, key);
        } catch (RuntimeException e) {
            throw QueryException.unavailable("no routing metadata for table " + table + ": " + e.getMessage());
        }
        if (md == null || KeyQueryMetadata.NOT_AVAILABLE.equals(md)) {
            throw QueryException.unavailable("partitions of table " + table + " are being assigned (rebalancing); retry shortly");
        }
        return md;
    }

    private static List<Integer> partitionsOf(ViewCatalog c, String table, Range range) {
        int n = partitions(c, table);
        byte[] first = range.first();
        int pkLen = c.partitionRule().partitionKeyLength(first);
        byte[] pk = Arrays.copyOf(first, pkLen);
        byte[] bound = Arrays.copyOf(pk, pk.length + 1);
        bound[pk.length] = '}';
        if (pkLen < first.length && Arrays.compareUnsigned(range.last(), bound) <= 0) {
            return List.of(c.partitionRule().partition(first, n)); // one partition key: one partition
        }
        List<Integer> all = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            all.add(i);
        }
        return all;
    }

    private Map<HostInfo, List<Integer>> owners(ViewCatalog c, String table, List<Integer> partitions) {
        Map<Integer, HostInfo> owner = ownerMap(c, table);
        Map<HostInfo, List<Integer>> out = new HashMap<>();
        for (int p : partitions) {
            HostInfo h = owner.get(p);
            if (h == null) {
                owners.remove(table);
                throw QueryException.unavailable("partition " + p + " of table " + table
                        + " has no owner right now (rebalancing); retry shortly");
            }
            out.computeIfAbsent(h, x -> new ArrayList<>()).add(p);
        }
        return out;
    }

    /**
     * Which instance owns each partition of a table's store. Asking Kafka Streams builds its whole
     * metadata each time, so the answer is kept for {@link #OWNERS_TTL_NANOS}; a read that finds its
     * partition gone ({@link #moved}) forgets it at once.
     */
    private Map<Integer, HostInfo> ownerMap(ViewCatalog c, String table) {
        KafkaStreams ks = c.streams(table);
        if (ks == null) {
            throw QueryException.unavailable("this instance does not host table stores");
        }
        long now = System.nanoTime();
        Owners cached = owners.get(table);
        if (cached != null && cached.streams == ks && now - cached.atNanos < OWNERS_TTL_NANOS) {
            return cached.byPartition;
        }
        String topic = c.topics().tableTopic(table);
        Map<Integer, HostInfo> owner = new HashMap<>();
        for (StreamsMetadata m : ks.streamsMetadataForStore(c.storeName(table))) {
            for (TopicPartition tp : m.topicPartitions()) {
                if (tp.topic().equals(topic)) {
                    owner.put(tp.partition(), m.hostInfo());
                }
            }
        }
        owners.put(table, new Owners(ks, now, Map.copyOf(owner)));
        return owner;
    }

    /** A table's partition owners as of a moment. */
    private record Owners(KafkaStreams streams, long atNanos, Map<Integer, HostInfo> byPartition) {
    }

    private ReadOnlyKeyValueStore<Bytes, byte[]> localStore(ViewCatalog c, String table, int partition, boolean stale) {
        try {
            return c.store(table, partition, stale);
        } catch (InvalidStateStoreException e) {
            throw moved(c, table, partition, stale, e);
        }
    }

    private QueryException moved(ViewCatalog c, String table, int partition, boolean stale, InvalidStateStoreException e) {
        c.forgetStores();
        owners.clear();
        return QueryException.unavailable("partition " + partition + " of table " + table
                + " is not queryable on this instance now (moving or restoring): " + e.getMessage()
                + (stale ? "" : "; retry, or pass stale=true to read a restoring copy"));
    }

    /**
     * Answers a get without blocking, when it can: the key's partition is on this instance, this
     * instance's writes to it are applied, and the table has no pull joins.
     *
     * @param key a valid key
     * @return the answer (the value or empty), or {@code null} if the caller must use {@link #get}
     */
    public Optional<byte[]> getNow(byte[] key) {
        if (Key.validate(key) != null) {
            return null;
        }
        String table = Key.tableOf(key);
        ViewCatalog c = catalog();
        if (!c.isQueryable(table) || !c.pullJoins(table).isEmpty() || !singleInstance()
                || c.isView(table) && writes.get() > settledWrites.get()) { // a view may not reflect this instance's writes yet
            return null;
        }
        int n = c.partitions(table);
        if (n < 1) {
            return null;
        }
        int partition = c.partitionRule().partition(key, n);
        String topic = c.topics().tableTopic(table);
        Map<Integer, Long> w = written.get(topic);
        Long mine = w == null ? null : w.get(partition);
        if (mine != null && engine.progress().offsets().appliedOffset(topic, partition) < mine) {
            return null;
        }
        try {
            return Optional.ofNullable(c.store(table, partition, false).get(Bytes.wrap(key)));
        } catch (InvalidStateStoreException e) {
            c.forgetStores();
            return null;
        }
    }

    /**
     * A read of a view (or pull join) with write tokens: the tokens name writes to its sources,
     * whose effects reach the view through the pipeline, so the read waits until every instance's
     * views reflect every write made before it (as {@code /v1/settle}; tens of ms).
     */
    private void awaitViews(ViewCatalog c, String table, String after) {
        if (after == null || after.isBlank() || !c.isView(table)) {
            return;
        }
        for (String t : after.split(",")) {
            try {
                WritePosition.parse(t.trim());
            } catch (IllegalArgumentException e) {
                throw QueryException.badRequest(e.getMessage());
            }
        }
        boolean settled;
        try {
            settled = settleAll(limits.maxWait());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw QueryException.unavailable("interrupted");
        }
        if (!settled) {
            throw new QueryException(503, "not yet applied", "view table " + table + " did not reflect the writes before this read within "
                    + limits.maxWait().toMillis() + " ms");
        }
    }

    private void awaitTokens(ViewCatalog c, String table, Collection<Integer> partitions, String after) {
        if (after == null || after.isBlank()) {
            return;
        }
        String topic = c.topics().tableTopic(table);
        AppliedOffsets progress = engine.progress().offsets();
        for (String t : after.split(",")) {
            WritePosition pos;
            try {
                pos = WritePosition.parse(t.trim());
            } catch (IllegalArgumentException e) {
                throw QueryException.badRequest(e.getMessage());
            }
            if (!pos.topic().equals(topic) || !partitions.contains(pos.partition())) {
                continue;
            }
            CompletableFuture<Long> f = progress.awaitApplied(pos.topic(), pos.partition(), pos.offset());
            try {
                f.get(limits.maxWait().toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                f.cancel(false);
                long applied = progress.appliedOffset(pos.topic(), pos.partition());
                throw new QueryException(503, "not yet applied", "store " + c.storeName(table) + " partition " + pos.partition()
                        + " has applied offset " + applied + "; the write is at offset " + pos.offset() + " ("
                        + (pos.offset() - applied) + " behind) after waiting " + limits.maxWait().toMillis() + " ms");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw QueryException.unavailable("interrupted");
            } catch (ExecutionException e) {
                throw QueryException.unavailable(e.getCause().toString());
            }
        }
    }

    private Range range(byte[] first, byte[] last) {
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

    private int limit(Integer limit) {
        if (limit == null) {
            return limits.defaultLimit();
        }
        if (limit < 1 || limit > limits.maxScanLimit()) {
            throw QueryException.badRequest("limit " + limit + " is out of range; use 1 to " + limits.maxScanLimit());
        }
        return limit;
    }

    private static void checkKey(byte[] key) {
        String problem = Key.validate(key);
        if (problem != null) {
            throw QueryException.badRequest(problem);
        }
    }
}
