package io.pequod.views.internals.compile;

import io.pequod.ingest.source.SourceMapping;
import io.pequod.schemas.ChangeSerde;
import io.pequod.schemas.PartitionRule;
import io.pequod.schemas.SchemaRegistryClient;
import io.pequod.schemas.TableTopics;
import io.pequod.views.internals.processor.DeadLetterProcessor;
import io.pequod.views.internals.processor.SourceProcessor;
import io.pequod.views.spec.SourceDeclaration;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.AutoOffsetReset;
import org.apache.kafka.streams.Topology;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The topology of a source's application: the user's topic, read from the earliest offset (or the
 * latest, as declared), mapped to the table's changes, written to the table topic partitioned by
 * Pequod's rule; records that do not map go to the dead-letter topic with the reason.
 */
public final class SourceTopology {
    private SourceTopology() {
    }

    /**
     * @param source      the declaration
     * @param application the application id, for dead letters
     * @param topics      the namespace's topics
     * @param rule        the partitioning rule
     * @param registry    the schema registry (Avro sources, and the {@code Change} schema)
     * @param perSource   counts this source's dead letters
     * @param total       counts every dead letter of the engine
     * @return the topology
     */
    public static Topology build(SourceDeclaration source, String application, TableTopics topics, PartitionRule rule,
                                 SchemaRegistryClient registry, AtomicLong perSource, AtomicLong total) {
        SourceMapping mapping = new SourceMapping(source.table(), source.format(), source.key(), source.value(), registry);
        Topology t = new Topology();
        t.addSource(source.startLatest() ? AutoOffsetReset.latest() : AutoOffsetReset.earliest(), "source",
                new ByteArrayDeserializer(), new ByteArrayDeserializer(), source.topic());
        t.addProcessor("map", () -> new SourceProcessor(mapping, perSource, total), "source");
        t.addSink(SourceProcessor.TO_TABLE, topics.tableTopic(source.table()), new ByteArraySerializer(),
                new ChangeSerde.ChangeSerializer(registry), new RulePartitioner<>(rule), "map");
        t.addProcessor(SourceProcessor.TO_DEAD_LETTERS, () -> new DeadLetterProcessor(application), "map");
        t.addSink("dead-letters", topics.deadLetters(), new ByteArraySerializer(), new ByteArraySerializer(),
                SourceProcessor.TO_DEAD_LETTERS);
        return t;
    }
}
