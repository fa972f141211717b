package io.pequod.views.internals.engine;

import io.pequod.schemas.PartitionRule;
import io.pequod.schemas.SchemaRegistryClient;
import io.pequod.schemas.TableTopics;
import io.pequod.schemas.avro.Change;
import io.pequod.views.config.EngineConfig;
import io.pequod.views.internals.compile.TopologyFactory;
import io.pequod.views.internals.processor.LiveStores;
import io.pequod.views.internals.processor.Positions;
import io.pequod.views.internals.processor.ViewFences;
import io.pequod.views.progress.StoreProgress;
import io.pequod.views.spec.JoinSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the engine's collaborators share: its settings, names, Kafka clients and the state its
 * processors report into. Created when the engine starts.
 *
 * @param config         the engine's settings
 * @param names          application and topic names
 * @param rule           the partitioning rule
 * @param registry       the schema registry client
 * @param admin          the admin client
 * @param meta           the {@code <ns>-meta} records
 * @param streams        the Streams configuration
 * @param deadLetters    records sent to the dead-letter topic
 * @param progress       what the table stores applied
 * @param positions      what each application's processors processed
 * @param liveStores     the table stores of running tasks
 * @param commitRequests grows when a commit is wanted soon (exactly-once settle)
 * @param partitions     partition counts of the known table topics
 * @param tables         the tables this instance knows of
 * @param fences         the views' generations and gates ({@link ViewFences})
 * @param onDemand       the partial views' materialized ranges here ({@link OnDemand})
 */
public record EngineParts(EngineConfig config, EngineNames names, PartitionRule rule, SchemaRegistryClient registry,
                          EngineAdmin admin, ViewMetaStore meta, StreamsSettings streams, AtomicLong deadLetters,
                          StoreProgress progress, Positions positions, LiveStores liveStores, AtomicLong commitRequests,
                          Map<String, Integer> partitions, Set<String> tables, ViewFences fences,
                          OnDemand onDemand, ProgressReport report) {
    private static final Logger LOG = LoggerFactory.getLogger(EngineParts.class);


    /**
     * Connects to Kafka (the admin client) and creates the meta topic if missing.
     *
     * @param config   the engine's settings
     * @param rule     the partitioning rule
     * @param streams  the Streams configuration
     * @param progress where the table stores report
     * @return the parts
     */
    public static EngineParts open(EngineConfig config, PartitionRule rule, StreamsSettings streams, StoreProgress progress) {
        TableTopics topics = config.topics();
        EngineAdmin admin = new EngineAdmin(config.clientConfig(EngineConfig.ADMIN_PREFIX), topics);
        ViewMetaStore meta = new ViewMetaStore(config.clientConfig(EngineConfig.CONSUMER_PREFIX),
                config.clientConfig(EngineConfig.PRODUCER_PREFIX), topics);
        admin.ensureTopics(Map.of()); // the meta topic
        int standbys = config.getInt(EngineConfig.STANDBY_REPLICAS);
        if (standbys > 0) {
            // Said once here: Kafka Streams warns for every task at every rebalance while an instance is
            // alone (the launcher's logging drops those lines, KafkaNoiseFilter).
            LOG.warn("Each task of namespace {} keeps {} standby cop{} on other instances (pequod.standby.replicas); until"
                    + " another instance runs, there is none, and a restart restores from the changelogs", topics.namespace(),
                    standbys, standbys == 1 ? "y" : "ies");
        }
        AtomicLong deadLetters = new AtomicLong();
        streams.countingDeadLettersIn(deadLetters);
        Map<String, Integer> partitions = new ConcurrentHashMap<>();
        ViewFences fences = new ViewFences();
        OnDemand onDemand = new OnDemand(config.clientConfig(EngineConfig.PRODUCER_PREFIX), rule, partitions,
                () -> config.getInt(EngineConfig.PARTIAL_MAX_RANGES)).fencedBy(fences);
        fences.fillsTo(onDemand);
        return new EngineParts(config, new EngineNames(topics), rule,
                SchemaRegistryClient.shared(config.getString(EngineConfig.SCHEMA_REGISTRY_URL)), admin, meta, streams,
                deadLetters, progress, new Positions(), new LiveStores(), new AtomicLong(),
                partitions, ConcurrentHashMap.newKeySet(), fences, onDemand, new ProgressReport(admin));
    }

    /** @return the namespace's topics */
    public TableTopics topics() {
        return names.topics();
    }

    /** @return the partitions of new tables */
    public int defaultPartitions() {
        return config.getInt(EngineConfig.PARTITIONS);
    }

    /** @return whether this instance runs tables applications (else it is a view-only worker) */
    public boolean runsTables() {
        return config.getBoolean(EngineConfig.TABLES_APPLICATION);
    }

    /**
     * Creates the topics of tables that do not exist yet (the caller then learns them: {@link #learnTables}).
     *
     * @param wanted the tables
     * @param spec   the joins, for declared partition counts
     * @return the tables whose topics existed before
     */
    public Set<String> createTables(Collection<String> wanted, JoinSpec spec) {
        Set<String> existing = admin.existingTables();
        Map<String, Integer> create = new LinkedHashMap<>();
        for (String t : wanted) {
            if (!existing.contains(t)) {
                create.put(t, spec.declaredPartitions(t).orElse(defaultPartitions()));
            }
        }
        admin.ensureTopics(create);
        return existing;
    }

    /**
     * At start: creates the topics of the wanted tables that are missing, and knows them and every
     * table whose topic exists.
     *
     * @param spec the joins (their tables are wanted, and those of {@link EngineConfig#TABLES})
     */
    public void startWith(JoinSpec spec) {
        Set<String> wanted = new LinkedHashSet<>(spec.allTables());
        wanted.addAll(config.getList(EngineConfig.TABLES));
        Set<String> existing = createTables(wanted, spec);
        tables.addAll(wanted);
        tables.addAll(existing);
        learnTables(tables);
    }

    /**
     * Learns tables' partition counts and registers the {@code Change} schema for each (warming the
     * registry client's cache off the stream threads).
     *
     * @param found tables whose topics exist
     */
    public void learnTables(Collection<String> found) {
        partitions.putAll(admin.partitions(found));
        for (String t : found) {
            registry.register(topics().tableTopic(t) + "-value", Change.SCHEMA$);
        }
    }

    /**
     * @param repartitionPartitions partitions of the repartition topics
     * @return a topology factory reporting into these parts
     */
    public TopologyFactory topologies(int repartitionPartitions) {
        return new TopologyFactory(topics(), rule, registry, deadLetters, repartitionPartitions, progress, partitions)
                .committingOnRequest(streams.exactlyOnce() ? commitRequests : null).trackingPositions(positions)
                .fencedBy(fences).keepingCreationTimes(config.getBoolean(EngineConfig.CREATION_TIMES));
    }
}
