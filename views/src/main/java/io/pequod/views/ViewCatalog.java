package io.pequod.views;

import io.pequod.schemas.PartitionRule;
import io.pequod.schemas.TableTopics;
import io.pequod.views.internals.compile.RulePartitioner;
import io.pequod.views.internals.compile.TopologyFactory;
import io.pequod.views.internals.processor.CreationTimes;
import io.pequod.views.internals.processor.Expiries;
import io.pequod.views.internals.processor.StoredValue;
import io.pequod.views.spec.Join;
import io.pequod.views.spec.JoinSpec;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.LagInfo;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What the query side needs from a running {@link ViewEngine}: the tables and their queryable
 * stores ({@code table-<table>}), the partitioning rule, Streams metadata for routing, and the
 * pull joins to evaluate at read time. Stores are the classic {@link ReadOnlyKeyValueStore}
 * (not Interactive Queries v2, which can deadlock against a store's writer: KAFKA-19629).
 */
public final class ViewCatalog {
    private final TableTopics topics;
    private final PartitionRule rule;
    private final JoinSpec spec;
    /** The spec's view tables (asked on every read). */
    private final Set<String> views;
    /** The spec's pull joins by sink table (asked on every read). */
    private final Map<String, List<Join>> pulls;
    private final Function<String, KafkaStreams> tablesStreams;
    private final Supplier<Set<String>> tables;
    private final Map<String, Integer> partitions;
    private final BiFunction<String, Integer, ? extends ReadOnlyKeyValueStore<Bytes, byte[]>> running;
    private final BiFunction<String, Integer, Long> copyLag;
    private final boolean creationTimes;
    private final Supplier<Map<String, Map<MetricName, ? extends Metric>>> streamsMetrics;

    ViewCatalog(TableTopics topics, PartitionRule rule, JoinSpec spec, Function<String, KafkaStreams> tablesStreams,
                Supplier<Set<String>> tables, Map<String, Integer> partitions,
                BiFunction<String, Integer, ? extends ReadOnlyKeyValueStore<Bytes, byte[]>> running,
                BiFunction<String, Integer, Long> copyLag, boolean creationTimes,
                Supplier<Map<String, Map<MetricName, ? extends Metric>>> streamsMetrics) {
        this.creationTimes = creationTimes;
        this.streamsMetrics = streamsMetrics;
        this.running = running;
        this.copyLag = copyLag;
        this.topics = topics;
        this.rule = rule;
        this.spec = spec;
        this.views = Set.copyOf(spec.viewTables());
        this.pulls = Map.copyOf(spec.pullJoins());
        this.tablesStreams = tablesStreams;
        this.tables = tables;
        this.partitions = partitions;
    }

    /** @return the namespace's topic names */
    public TableTopics topics() {
        return topics;
    }

    /** @return the partitioning rule that writers and stores follow */
    public PartitionRule partitionRule() {
        return rule;
    }

    /** @return the join spec */
    public JoinSpec spec() {
        return spec;
    }

    /**
     * @return every Streams application's metrics on this instance (tables, views, sources; {@link KafkaStreams#metrics()}:
     * its clients', threads', tasks' and stores' metrics, such as RocksDB's memory use), by application id
     */
    public Map<String, Map<MetricName, ? extends Metric>> streamsMetrics() {
        return streamsMetrics.get();
    }

    /** @return every materialized table, base and view */
    public Set<String> tables() {
        return tables.get();
    }

    /**
     * @param table a table
     * @return whether joins write it (users may not)
     */
    public boolean isView(String table) {
        return views.contains(table);
    }

    /**
     * @param table a table
     * @return the pull joins to evaluate when reading it (empty if none)
     */
    public List<Join> pullJoins(String table) {
        return pulls.getOrDefault(table, List.of());
    }

    /**
     * @param table a table
     * @return the partition count of its topic, or -1 if unknown
     */
    public int partitions(String table) {
        return partitions.getOrDefault(table, -1);
    }

    /**
     * @param table a table
     * @return the name of its queryable store
     */
    public String storeName(String table) {
        return TopologyFactory.tableStore(table);
    }

    /**
     * @param table a table
     * @return the Streams client hosting its {@code table-<table>} store (tables created after
     * start have an application of their own), or {@code null} if this instance hosts none
     */
    public KafkaStreams streams(String table) {
        return tablesStreams.apply(table);
    }

    /**
     * @param table a table
     * @return whether its store can be queried now (its application is RUNNING)
     */
    public boolean isQueryable(String table) {
        KafkaStreams ks = tables().contains(table) ? streams(table) : null;
        return ks != null && ks.state() == KafkaStreams.State.RUNNING;
    }

    /**
     * @param table a table (cannot be {@code null})
     * @return the local store over all partitions this instance hosts
     * @throws org.apache.kafka.streams.errors.InvalidStateStoreException if not queryable now
     */
    public ReadOnlyKeyValueStore<Bytes, byte[]> store(String table) {
        return StoredValue.decoding(streams(table).store(StoreQueryParameters.fromNameAndType(storeName(table),
                QueryableStoreTypes.keyValueStore())));
    }

    /**
     * @param table     a table
     * @param partition a partition
     * @param stale     whether a restoring or standby copy may answer
     * @return the local store of that partition
     * @throws org.apache.kafka.streams.errors.InvalidStateStoreException if not hosted here or not queryable
     */
    public ReadOnlyKeyValueStore<Bytes, byte[]> store(String table, int partition, boolean stale) {
        return StoredValue.decoding(store(storeName(table), table, partition, stale));
    }

    /**
     * @param table     a table users write (not a view)
     * @param partition a partition
     * @param stale     whether a restoring or standby copy may answer
     * @return the store of its keys' expiry times ({@code key -> 8-byte big-endian milliseconds},
     *     {@code Expiries.decode}), or {@code null} for a view (views have no expiry of their own)
     * @throws org.apache.kafka.streams.errors.InvalidStateStoreException if not hosted here or not queryable
     */
    public ReadOnlyKeyValueStore<Bytes, byte[]> expiries(String table, int partition, boolean stale) {
        return isView(table) ? null : store(storeName(table) + Expiries.BY_KEY, table, partition, stale);
    }

    /**
     * @param table     a table users write (not a view)
     * @param partition a partition
     * @param stale     whether a restoring or standby copy may answer
     * @return the store of its keys' creation times ({@code key -> 8-byte big-endian milliseconds},
     *     {@link #creationTime}), or {@code null} for a view or when creation times are not kept
     *     ({@code pequod.creation.times})
     * @throws org.apache.kafka.streams.errors.InvalidStateStoreException if not hosted here or not queryable
     */
    public ReadOnlyKeyValueStore<Bytes, byte[]> creationTimes(String table, int partition, boolean stale) {
        return isView(table) || !creationTimes ? null : store(storeName(table) + CreationTimes.SUFFIX, table, partition, stale);
    }

    /** @param stored a value of a {@link #creationTimes} store @return the time in milliseconds since the epoch, or {@code null} */
    public static Long creationTime(byte[] stored) {
        return CreationTimes.decode(stored);
    }

    /** @param stored a value of an {@link #expiries} store @return the expiry in milliseconds since the epoch, or {@code null} */
    public static Long expiry(byte[] stored) {
        return Expiries.decode(stored);
    }

    private ReadOnlyKeyValueStore<Bytes, byte[]> store(String name, String table, int partition, boolean stale) {
        if (!stale) {
            // The store of a task running here, straight from its processor: no lookup through the
            // Streams threads on every read (a third of a short count's cost).
            ReadOnlyKeyValueStore<Bytes, byte[]> r = running.apply(name, partition);
            if (r != null) {
                return r;
            }
        }
        KafkaStreams ks = streams(table);
        String k = name + "/" + partition + "/" + stale;
        CachedStore cached = stores.get(k);
        if (cached != null && cached.streams() == ks) {
            return cached.store(); // the handle re-checks the store's state on every call
        }
        StoreQueryParameters<ReadOnlyKeyValueStore<Bytes, byte[]>> q = StoreQueryParameters
                .fromNameAndType(name, QueryableStoreTypes.<Bytes, byte[]>keyValueStore()).withPartition(partition);
        ReadOnlyKeyValueStore<Bytes, byte[]> s;
        try {
            s = ks.store(stale ? q.enableStaleStores() : q);
        } catch (IllegalStateException notRunning) {
            // Kafka Streams says so for an application that stopped (NOT_RUNNING, ERROR): to callers
            // that is a store not queryable here now, like any other.
            throw new InvalidStateStoreException(notRunning.getMessage(), notRunning);
        }
        stores.put(k, new CachedStore(ks, s));
        return s;
    }

    /**
     * @param table     a table
     * @param partition one of its partitions
     * @return whether a task running here holds that partition's store (not a standby or restoring copy)
     */
    public boolean isActiveHere(String table, int partition) {
        return running.apply(storeName(table), partition) != null;
    }

    /**
     * @param table     a table
     * @param partition one of its partitions
     * @return how many records a copy here (standby or restoring) may miss: writes to the table its
     * group had not committed plus changelog records the copy has not applied; -1 if unknown now
     */
    public long copyLag(String table, int partition) {
        return copyLag.apply(table, partition);
    }

    /**
     * Forgets cached store handles, after a store turned out to have moved.
     */
    public void forgetStores() {
        stores.clear();
    }

    private record CachedStore(KafkaStreams streams, ReadOnlyKeyValueStore<Bytes, byte[]> store) {
    }

    private final Map<String, CachedStore> stores = new ConcurrentHashMap<>();

    /**
     * @param table a table
     * @param key   a key
     * @return which instance hosts the key's partition
     */
    public KeyQueryMetadata metadataFor(String table, byte[] key) {
        return streams(table).queryMetadataForKey(storeName(table), key, new RulePartitioner<>(rule));
    }

    /**
     * @param table     a table
     * @param partition one of its partitions
     * @return which instance hosts that partition's store, and which hold standby copies
     */
    public KeyQueryMetadata metadataForPartition(String table, int partition) {
        return streams(table).queryMetadataForKey(storeName(table), new byte[0], (topic, k, v, n) -> java.util.Optional.of(Set.of(partition)));
    }

    /** @return records not yet applied, by store, for the stores this instance hosts and can report */
    public Map<String, Long> storeLags() {
        Map<String, Long> out = new TreeMap<>();
        Set<KafkaStreams> seen = new HashSet<>();
        for (String t : tables()) {
            KafkaStreams ks = streams(t);
            if (ks == null || !seen.add(ks) || ks.state() != KafkaStreams.State.RUNNING) {
                continue;
            }
            try {
                for (Map.Entry<String, Map<Integer, LagInfo>> m : ks.allLocalStorePartitionLags().entrySet()) {
                    out.put(m.getKey(), m.getValue().values().stream().mapToLong(l -> Math.max(0, l.offsetLag())).sum());
                }
            } catch (RuntimeException notNow) {
                // lag unknown while rebalancing
            }
        }
        return out;
    }
}
