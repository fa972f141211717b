package io.pequod.server.query;

import io.pequod.schemas.Range;
import io.pequod.views.ViewCatalog;
import io.pequod.views.ViewEngine;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.state.HostInfo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Ownership: which instance owns each partition of a table's store (Streams metadata and the
 * partitioning rule), which partitions a range touches, and which instances the namespace has.
 */
final class Routing {
    /** How long partition owners are trusted without asking Kafka Streams again. */
    private static final long OWNERS_TTL_NANOS = 250_000_000L;

    private final ViewEngine engine;
    private final HostInfo self;
    private final Map<String, Owners> owners = new ConcurrentHashMap<>();
    private volatile long singleCheckedAt;
    private volatile boolean single;

    /** Stands for the owner of a partition that has none right now (its tasks are being assigned). */
    static final HostInfo NOBODY = new HostInfo("nobody", 0);

    /** A table's partition owners and standby copies as of a moment. */
    private record Owners(KafkaStreams streams, long atNanos, Map<Integer, HostInfo> byPartition,
                          Map<Integer, List<HostInfo>> standbys) {
    }

    Routing(ViewEngine engine, HostInfo self) {
        this.engine = engine;
        this.self = self;
    }

    HostInfo self() {
        return self;
    }

    boolean isSelf(HostInfo h) {
        return self.equals(h);
    }

    /** @return whether a key's metadata points here (or nowhere yet: a single instance) */
    boolean isLocal(KeyQueryMetadata md) {
        return isSelf(md.activeHost()) || md.activeHost().port() == -1;
    }

    /**
     * @return whether this is the only instance of its namespace (re-checked every second), so
     * that every read is local and cannot block on another instance
     */
    boolean singleInstance() {
        long now = System.nanoTime();
        if (now - singleCheckedAt > 1_000_000_000L) {
            boolean s = true;
            ViewCatalog c = engine.catalog();
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

    /** @return every instance of the namespace that Streams knows of, this one first */
    List<HostInfo> instances() {
        Set<HostInfo> out = new LinkedHashSet<>();
        out.add(self);
        ViewCatalog c = engine.catalog();
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

    static int partitions(ViewCatalog c, String table) {
        int n = c.partitions(table);
        if (n < 1) {
            throw QueryException.unavailable("table " + table + " is not materialized yet; retry in a few seconds");
        }
        return n;
    }

    static KeyQueryMetadata metadata(ViewCatalog c, String table, byte[] key) {
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

    /** @return the partitions a range can touch: one if it stays inside one partition key, else all */
    static List<Integer> partitionsOf(ViewCatalog c, String table, Range range) {
        int n = partitions(c, table);
        byte[] first = range.first();
        int pkLen = c.partitionRule().partitionKeyLength(first);
        byte[] pk = Arrays.copyOf(first, pkLen);
        byte[] bound = Arrays.copyOf(pk, pk.length + 1);
        bound[pk.length] = '}';
        if (pkLen < first.length && Arrays.compareUnsigned(range.last(), bound) <= 0) {
            return List.of(c.partitionRule().partition(first, n)); // one partition key: one partition
        }
        return all(n);
    }

    static List<Integer> all(int n) {
        List<Integer> all = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            all.add(i);
        }
        return all;
    }

    /**
     * @return the given partitions of a table grouped by the instance that owns them; those that
     * have no owner right now (rebalancing) under {@link #NOBODY}
     */
    Map<HostInfo, List<Integer>> owners(ViewCatalog c, String table, List<Integer> partitions) {
        Map<Integer, HostInfo> owner = owners(c, table).byPartition();
        Map<HostInfo, List<Integer>> out = new LinkedHashMap<>();
        for (int p : partitions) {
            HostInfo h = owner.get(p);
            if (h == null) {
                this.owners.remove(table);
                h = NOBODY;
            }
            out.computeIfAbsent(h, x -> new ArrayList<>()).add(p);
        }
        return out;
    }

    /** @return the instances that keep a standby copy of a partition of a table, as Streams last said */
    List<HostInfo> standbys(ViewCatalog c, String table, int partition) {
        return owners(c, table).standbys().getOrDefault(partition, List.of());
    }

    /** Forgets every owner: a read found its partition gone. */
    void forget() {
        owners.clear();
    }

    /**
     * Which instance owns each partition of a table's store. Asking Kafka Streams builds its whole
     * metadata each time, so the answer is kept for {@link #OWNERS_TTL_NANOS}; a read that finds its
     * partition gone forgets it at once.
     */
    private Owners owners(ViewCatalog c, String table) {
        KafkaStreams ks = c.streams(table);
        if (ks == null) {
            throw QueryException.unavailable("this instance does not host table stores");
        }
        long now = System.nanoTime();
        Owners cached = owners.get(table);
        if (cached != null && cached.streams == ks && now - cached.atNanos < OWNERS_TTL_NANOS) {
            return cached;
        }
        String topic = c.topics().tableTopic(table);
        Map<Integer, HostInfo> owner = new HashMap<>();
        Map<Integer, List<HostInfo>> standbys = new HashMap<>();
        for (StreamsMetadata m : ks.streamsMetadataForStore(c.storeName(table))) {
            for (TopicPartition tp : m.topicPartitions()) {
                if (tp.topic().equals(topic)) {
                    owner.put(tp.partition(), m.hostInfo());
                }
            }
            for (TopicPartition tp : m.standbyTopicPartitions()) {
                if (tp.topic().equals(topic)) {
                    standbys.computeIfAbsent(tp.partition(), x -> new ArrayList<>()).add(m.hostInfo());
                }
            }
        }
        Owners o = new Owners(ks, now, Map.copyOf(owner), Map.copyOf(standbys));
        owners.put(table, o);
        return o;
    }
}
