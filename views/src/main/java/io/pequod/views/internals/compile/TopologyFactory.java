package io.pequod.views.internals.compile;

import io.pequod.schemas.ChangeSerde;
import io.pequod.schemas.PartitionRule;
import io.pequod.schemas.SchemaRegistryClient;
import io.pequod.schemas.TableTopics;
import io.pequod.schemas.avro.Change;
import io.pequod.views.internals.plan.JoinPlan;
import io.pequod.views.internals.processor.AggregateProcessor;
import io.pequod.views.internals.processor.ChangelogSourceProcessor;
import io.pequod.views.internals.processor.CreationTimes;
import io.pequod.views.internals.processor.DeadLetterProcessor;
import io.pequod.views.internals.processor.DirectSinkProcessor;
import io.pequod.views.internals.processor.Expiries;
import io.pequod.views.internals.processor.ExpiryTombstones;
import io.pequod.views.internals.processor.GenerationStamp;
import io.pequod.views.internals.processor.JoinStepProcessor;
import io.pequod.views.internals.processor.LiveStores;
import io.pequod.views.internals.processor.MatchProcessor;
import io.pequod.views.internals.processor.Positions;
import io.pequod.views.internals.processor.SourceOutput;
import io.pequod.views.internals.processor.TableSourceProcessor;
import io.pequod.views.internals.processor.TopicRestoredStore;
import io.pequod.views.internals.processor.ViewTopicSourceProcessor;
import io.pequod.views.internals.processor.Tracked;
import io.pequod.views.internals.processor.TupleDelta;
import io.pequod.views.internals.processor.ViewFences;
import io.pequod.views.progress.StoreProgress;
import io.pequod.views.spec.Join;
import io.pequod.views.spec.PartialRange;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.state.Stores;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Builds Kafka Streams topologies: the tables applications (every table topic materialized into
 * its queryable store {@code table-<table>}, and the joins of the views whose tables they all
 * hold, fed by the owners' deltas: {@link #tablesTopology(Collection, Map, String)}) and one
 * application per view generation that runs on its own (its joins).
 *
 * <p>A view topology reads each source table from the tables application's changelog of its
 * store (values with every change applied; see {@link #readingChangelogs}) or, without a tables
 * application, from the table topic, materialized into {@code src-<table>} (applying
 * read-modify-write changes); it turns the key deltas into tuple deltas per join source;
 * multi-source joins go through repartition topics keyed by each step's join slots into
 * {@link JoinStepProcessor}s; results are grouped by sink key ({@link AggregateProcessor}) or, for
 * copy joins whose sink key names every slot, written directly; the sink is the view's table
 * topic, partitioned by {@link PartitionRule}. Bad records go to {@code <ns>.dead-letters}.
 */
public final class TopologyFactory {
    /** Prefix of queryable table stores. */
    public static final String TABLE_STORE_PREFIX = "table-";

    private final TableTopics topics;
    private final PartitionRule rule;
    private final SchemaRegistryClient registry;
    private final AtomicLong deadLetters;
    private final int repartitionPartitions;
    private final StoreProgress progress;
    private final Map<String, Integer> partitions;
    private AtomicLong commitRequests;
    private Positions positions;
    private LiveStores live;
    private boolean creationTimes;
    private Function<String, String> changelogOf;
    private Predicate<String> views = t -> false;
    private ViewFences fences;

    /**
     * @param f the engine's view fences: view rows carry their generation, view materializers
     *          follow the generation markers, views computed in a tables application obey its gates
     * @return this factory
     */
    public TopologyFactory fencedBy(ViewFences f) {
        this.fences = f;
        return this;
    }

    /**
     * @param isView which tables are views (written only by joins, with puts and erases)
     * @return this factory; in its tables topology a view's store is restored from the view's topic
     * (no changelog: each derived row is written to Kafka once) and keeps no expiry stores, and its
     * view topologies read a source view from its topic
     */
    public TopologyFactory materializingViews(Predicate<String> isView) {
        this.views = isView;
        return this;
    }

    /**
     * @param changelog the changelog topic of a table's store in the tables application
     * @return this factory; its view topologies read their sources from those changelogs (values
     * already applied) instead of the table topics, and keep no {@code src-<table>} stores
     */
    public TopologyFactory readingChangelogs(Function<String, String> changelog) {
        this.changelogOf = changelog;
        return this;
    }

    /**
     * @param yes whether the tables topology keeps each key's creation time ({@link CreationTimes})
     * @return this factory
     */
    public TopologyFactory keepingCreationTimes(boolean yes) {
        this.creationTimes = yes;
        return this;
    }

    /**
     * @param l where the tables topology's processors register their stores while running
     * @return this factory
     */
    public TopologyFactory registeringStoresIn(LiveStores l) {
        this.live = l;
        return this;
    }

    /**
     * @param p where processors report the records they processed
     * @return this factory
     */
    public TopologyFactory trackingPositions(Positions p) {
        this.positions = p;
        return this;
    }

    /**
     * @param topics                topic names of the namespace
     * @param rule                  the partitioning rule
     * @param registry              schema registry for Change records
     * @param deadLetters           counter of dead letters
     * @param repartitionPartitions partitions of repartition topics (at least the source tables')
     * @param progress              told of every record the tables application applies (may be {@code null})
     * @param partitions            partition counts of table topics, for co-partitioned joins (empty: always repartition)
     */
    public TopologyFactory(TableTopics topics, PartitionRule rule, SchemaRegistryClient registry, AtomicLong deadLetters,
                           int repartitionPartitions, StoreProgress progress, Map<String, Integer> partitions) {
        this.progress = progress;
        this.partitions = Map.copyOf(partitions);
        this.topics = topics;
        this.rule = rule;
        this.registry = registry;
        this.deadLetters = deadLetters;
        this.repartitionPartitions = repartitionPartitions;
    }

    /**
     * @param requests grows when a commit is wanted soon ({@link io.pequod.views.progress.StoreProgress#requestCommit})
     * @return this factory; its topologies' source tasks commit on request
     */
    public TopologyFactory committingOnRequest(AtomicLong requests) {
        this.commitRequests = requests;
        return this;
    }

    /**
     * @param table a table
     * @return its queryable store's name
     */
    public static String tableStore(String table) {
        return TABLE_STORE_PREFIX + table;
    }

    /**
     * @param tables      the tables to materialize
     * @param application the application id, for dead-letter headers
     * @return the tables topology
     */
    public Topology tablesTopology(Collection<String> tables, String application) {
        return tablesTopology(tables, Map.of(), application);
    }

    /**
     * @param tables      the tables to materialize
     * @param computed    the joins of the views computed in this application, by view (their
     *                    sources and their own tables are among {@code tables}): each reads its
     *                    sources' deltas straight from the processors that apply them, and its
     *                    rows are written once, to the view's topic, which restores its store
     * @param application the application id, for dead-letter headers
     * @return the tables topology
     */
    public Topology tablesTopology(Collection<String> tables, Map<String, List<Join>> computed, String application) {
        TablesBuilder b = new TablesBuilder();
        Set<String> feeding = new LinkedHashSet<>();
        computed.values().forEach(js -> js.forEach(j -> j.sources().forEach(s -> feeding.add(s.table()))));
        Map<String, KStream<byte[], SourceOutput>> deltas = new LinkedHashMap<>();
        for (String t : tables) {
            KStream<byte[], SourceOutput> out = views.test(t) ? viewTable(b, t, application, feeding.contains(t))
                    : source(b, t, tableStore(t), false, application, feeding.contains(t));
            deltas.put(t, out);
        }
        for (Map.Entry<String, List<Join>> e : new TreeMap<>(computed).entrySet()) {
            Map<String, KStream<byte[], SourceOutput>> in = deltas;
            PartialTopology.MarkerRoute route = null;
            if (e.getValue().size() == 1 && e.getValue().get(0).partial()) {
                PartialRange r = PartialRange.of(e.getValue().get(0));
                route = new PartialTopology.MarkerRoute(new JoinPlan(e.getValue().get(0), 0), r.driving());
                in = PartialTopology.inputs(b, topics, e.getKey(), r, deltas, route, log -> tracked(log, true));
            }
            viewJoins(b, e.getValue(), in, e.getKey() + "-", route)
                    .process(() -> new GenerationStamp(e.getKey(), 0, fences), Named.as(e.getKey() + "-stamp"))
                    .to(topics.tableTopic(e.getKey()), sink(e.getKey()));
        }
        return b.build();
    }

    /**
     * A view's table in the tables application: its store is restored from the view's topic
     * ({@link TopicRestoredStore}), not from a changelog, and it keeps no expiry or creation times
     * (views have none).
     */
    private KStream<byte[], SourceOutput> viewTable(TablesBuilder b, String table, String app, boolean emitDeltas) {
        String store = tableStore(table);
        String topic = topics.tableTopic(table);
        b.addStateStore(Stores.keyValueStoreBuilder(new TopicRestoredStore(Stores.persistentKeyValueStore(store), registry)
                .fencing(fences, table), Serdes.Bytes(), Serdes.ByteArray()).withLoggingDisabled());
        b.restoreFromTopic(store, topic);
        KStream<byte[], SourceOutput> out = b.stream(topic, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("read-" + table))
                .process(tracked(() -> {
                    TableSourceProcessor p = new TableSourceProcessor(store, registry, false, deadLetters, progress).registeringIn(live);
                    if (fences != null) {
                        p.fencing(fences, table);
                    }
                    return emitDeltas ? p.emittingDeltas() : p;
                }, true), Named.as("materialize-" + table), store);
        deadLetters(out, table, app);
        return out;
    }

    /** The dead letters a table's owner emits go to {@code <ns>.dead-letters}. */
    private void deadLetters(KStream<byte[], SourceOutput> owner, String table, String app) {
        owner.process(() -> new DeadLetterProcessor(app), Named.as("dead-letters-" + table))
                .to(topics.deadLetters(), Produced.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("dlq-" + table));
    }

    /** A builder whose stores may be restored from their source topic, as the DSL's KTable sources are. */
    private static final class TablesBuilder extends StreamsBuilder {
        /** The store, written only by the processor that reads {@code topic}, is restored from it (Streams' internals). */
        void restoreFromTopic(String store, String topic) {
            internalTopologyBuilder.connectSourceStoreAndTopic(store, topic);
        }
    }

    /**
     * @param viewTable   the view table
     * @param joins       its maintained joins
     * @param application the application id, for dead-letter headers
     * @return the view's topology
     */
    public Topology viewTopology(String viewTable, List<Join> joins, String application) {
        return viewTopology(viewTable, joins, 0, application);
    }

    /**
     * @param viewTable   the view table
     * @param joins       its maintained joins
     * @param generation  the generation this application computes (its rows carry it)
     * @param application the application id, for dead-letter headers
     * @return the view's topology
     */
    public Topology viewTopology(String viewTable, List<Join> joins, int generation, String application) {
        StreamsBuilder b = new StreamsBuilder();
        Set<String> sourceTables = new LinkedHashSet<>();
        joins.forEach(j -> j.sources().forEach(s -> sourceTables.add(s.table())));
        Map<String, KStream<byte[], SourceOutput>> deltas = new LinkedHashMap<>();
        for (String t : sourceTables) {
            deltas.put(t, changelogOf == null ? source(b, t, "src-" + t, true, application, true)
                    : views.test(t) ? viewTopicSource(b, t) : changelogSource(b, t));
        }
        KStream<byte[], Change> all = viewJoins(b, joins, deltas, "", null);
        if (fences != null) {
            all = all.process(() -> new GenerationStamp(viewTable, generation, null), Named.as("stamp-" + viewTable));
        }
        all.to(topics.tableTopic(viewTable), sink(viewTable));
        return b.build();
    }

    private Produced<byte[], Change> sink(String viewTable) {
        return Produced.with(Serdes.ByteArray(), (Serde<Change>) new ChangeSerde(registry))
                .withStreamPartitioner(new RulePartitioner<>(rule)).withName("sink-" + viewTable);
    }

    /** @return the rows of a view's joins, merged; {@code prefix} names their processors, stores and topics */
    private KStream<byte[], Change> viewJoins(StreamsBuilder b, List<Join> joins, Map<String, KStream<byte[], SourceOutput>> deltas,
                                              String prefix, PartialTopology.MarkerRoute route) {
        List<KStream<byte[], Change>> outputs = new ArrayList<>();
        for (int j = 0; j < joins.size(); j++) {
            outputs.add(join(b, prefix, new JoinPlan(joins.get(j), j), deltas, route));
        }
        KStream<byte[], Change> all = outputs.get(0);
        for (int i = 1; i < outputs.size(); i++) {
            all = all.merge(outputs.get(i), Named.as(prefix + "merge-" + i));
        }
        return all;
    }

    private KStream<byte[], SourceOutput> source(StreamsBuilder b, String table, String store, boolean emitDeltas, String app,
                                                 boolean deltasToo) {
        List<String> stores = new ArrayList<>(List.of(store));
        if (!emitDeltas) {
            // the owner keeps the keys' expiry times (and, if asked, their creation times)
            stores.add(store + Expiries.BY_KEY);
            stores.add(store + Expiries.BY_TIME);
            if (creationTimes) {
                stores.add(store + CreationTimes.SUFFIX);
            }
        }
        stores.forEach(s -> b.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(s), Serdes.Bytes(),
                Serdes.ByteArray())));
        KStream<byte[], SourceOutput> out = b.stream(topics.tableTopic(table),
                        Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("read-" + table))
                .process(tracked(() -> {
                    TableSourceProcessor p = new TableSourceProcessor(store, registry, emitDeltas, deadLetters,
                            emitDeltas ? null : progress).registeringIn(emitDeltas ? null : live);
                    if (deltasToo && !emitDeltas) {
                        p.emittingDeltas(); // for the views computed in this application
                    }
                    return emitDeltas ? p : p.keepingExpiries(creationTimes);
                }, true), Named.as("materialize-" + table), stores.toArray(String[]::new));
        if (!emitDeltas) {
            deadLetters(out, table, app);
            // expired keys become tombstones in the table topic, in their own partition
            out.process(ExpiryTombstones::new, Named.as("expiries-" + table))
                    .to(topics.tableTopic(table), Produced.with(Serdes.ByteArray(), Serdes.ByteArray())
                            .withStreamPartitioner(new RulePartitioner<>(rule)).withName("expire-" + table));
        }
        return out;
    }

    private KStream<byte[], SourceOutput> changelogSource(StreamsBuilder b, String table) {
        return b.stream(changelogOf.apply(table), Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("read-" + table))
                .process(tracked(() -> new ChangelogSourceProcessor(topics.tableTopic(table)), true),
                        Named.as("deltas-" + table));
    }

    private KStream<byte[], SourceOutput> viewTopicSource(StreamsBuilder b, String table) {
        return b.stream(topics.tableTopic(table), Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("read-" + table))
                .process(tracked(() -> new ViewTopicSourceProcessor(registry).fencing(fences, table), true), Named.as("deltas-" + table));
    }

    /** @param route where a partial view's driving rows go, learned here as its join is built ({@code null}: not partial) */
    private KStream<byte[], Change> join(StreamsBuilder b, String prefix, JoinPlan plan, Map<String, KStream<byte[], SourceOutput>> deltas,
                                         PartialTopology.MarkerRoute route) {
        String p = prefix + "j" + plan.index();
        int n = plan.sourceCount();
        List<KStream<byte[], TupleDelta>> matched = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int src = i;
            matched.add(deltas.get(plan.pattern(i).table())
                    .process(() -> new MatchProcessor(plan, src), Named.as(p + "-match-" + i)));
        }
        KStream<byte[], TupleDelta> results;
        if (n == 1) {
            results = matched.get(0);
        } else {
            KStream<byte[], TupleDelta> left = matched.get(sourceAt(plan, 0));
            for (int step = 1; step < n; step++) {
                String s = p + "-step" + step;
                KStream<byte[], TupleDelta> l;
                KStream<byte[], TupleDelta> r;
                KStream<byte[], TupleDelta> right = matched.get(sourceAt(plan, step));
                CoPartition leftCo = step == 1 ? CoPartition.of(plan, sourceAt(plan, 0), 1) : null;
                CoPartition rightCo = CoPartition.of(plan, sourceAt(plan, step), step);
                boolean drivingLeft = route != null && step == 1 && sourceAt(plan, 0) == route.source();
                boolean drivingRight = route != null && step == 1 && sourceAt(plan, 1) == route.source();
                if (leftCo != null && partitions.containsKey(leftCo.table())) {
                    // The first source is already partitioned by the join slot: join in its own tasks and
                    // bring the other side to it, saving a repartition hop on that side's path.
                    l = left;
                    r = right.repartition(repartitioned(s + "-right").withStreamPartitioner(leftCo.partitioner(rule))
                            .withNumberOfPartitions(partitions.get(leftCo.table())));
                    if (drivingRight) {
                        route.via(leftCo.partitioner(rule), partitions.get(leftCo.table()));
                    }
                } else if (rightCo != null && partitions.containsKey(rightCo.table())) {
                    l = left.repartition(repartitioned(s + "-left").withStreamPartitioner(rightCo.partitioner(rule))
                            .withNumberOfPartitions(partitions.get(rightCo.table())));
                    r = right;
                    if (drivingLeft) {
                        route.via(rightCo.partitioner(rule), partitions.get(rightCo.table()));
                    }
                } else if (drivingLeft || drivingRight) {
                    // a partial view's markers must go where its rows go: the partitioner is named
                    l = left.repartition(repartitioned(s + "-left").withStreamPartitioner(new PartialTopology.KeyHash()));
                    r = right.repartition(repartitioned(s + "-right").withStreamPartitioner(new PartialTopology.KeyHash()));
                    route.via(new PartialTopology.KeyHash(), repartitionPartitions);
                } else {
                    l = left.repartition(repartitioned(s + "-left"));
                    r = right.repartition(repartitioned(s + "-right"));
                }
                String ls = s + "-left-store";
                String rs = s + "-right-store";
                b.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(ls), Serdes.Bytes(), Serdes.ByteArray()));
                b.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(rs), Serdes.Bytes(), Serdes.ByteArray()));
                int st = step;
                left = l.merge(r, Named.as(s + "-merge"))
                        .process(tracked(() -> new JoinStepProcessor(plan, st, ls, rs), false), Named.as(s + "-join"), ls, rs);
            }
            results = left;
        }
        if (plan.direct()) {
            return results.process(DirectSinkProcessor::new, Named.as(p + "-direct"));
        }
        String contrib = p + "-contrib";
        String agg = p + "-agg";
        b.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(contrib), Serdes.Bytes(), Serdes.ByteArray()));
        b.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(agg), Serdes.Bytes(), Serdes.ByteArray()));
        return results.repartition(repartitioned(p + "-group"))
                .process(tracked(() -> new AggregateProcessor(plan, contrib, agg), false), Named.as(p + "-aggregate"), contrib, agg);
    }

    /**
     * @param supplier the processors of a step that reads a topic
     * @param commits  whether they commit on request (the sources: they see every input first)
     * @return the processors, reporting their positions (and committing on request) through {@link Tracked}
     */
    private <KI, VI, KO, VO> ProcessorSupplier<KI, VI, KO, VO> tracked(ProcessorSupplier<KI, VI, KO, VO> supplier, boolean commits) {
        return Tracked.wrap(supplier, positions, commits ? commitRequests : null);
    }

    private static int sourceAt(JoinPlan plan, int position) {
        for (int i = 0; i < plan.sourceCount(); i++) {
            if (plan.position(i) == position) {
                return i;
            }
        }
        throw new IllegalStateException("no source at position " + position);
    }

    private Repartitioned<byte[], TupleDelta> repartitioned(String name) {
        return Repartitioned.<byte[], TupleDelta>as(name)
                .withKeySerde(Serdes.ByteArray())
                .withValueSerde(new TupleDelta.DeltaSerde())
                .withNumberOfPartitions(repartitionPartitions);
    }
}
