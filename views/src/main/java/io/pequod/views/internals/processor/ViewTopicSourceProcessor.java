package io.pequod.views.internals.processor;

import io.pequod.schemas.ChangeSerde;
import io.pequod.schemas.Changes;
import io.pequod.schemas.SchemaRegistryClient;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;


/**
 * A view's source that is itself a view, read from that view's topic: its records are PUTs and
 * tombstones written by the view's application (view tables keep no changelog of their own; see
 * {@link TopicRestoredStore}), so each becomes a {@link KeyDelta} with an unknown old value, as a
 * changelog record does ({@link ChangelogSourceProcessor}). A record that cannot be decoded was
 * dead-lettered by the tables application and is skipped here.
 */
public final class ViewTopicSourceProcessor implements Processor<byte[], byte[], byte[], SourceOutput> {
    private static final Logger LOG = LoggerFactory.getLogger(ViewTopicSourceProcessor.class);
    private final SchemaRegistryClient registry;
    private ProcessorContext<byte[], SourceOutput> context;
    private ChangeSerde.ChangeDeserializer decoder;
    private ViewFences fences;
    private String view;
    private ViewFences.Cursor cursor;

    /**
     * @param f    the engine's fences: markers are skipped and rows of an older generation of the
     *             view dropped; the earlier generation's rows are erased by the tombstones that
     *             follow the marker ({@link ViewFences})
     * @param v    the view whose topic this reads
     * @return this processor
     */
    public ViewTopicSourceProcessor fencing(ViewFences f, String v) {
        this.fences = f;
        this.view = v;
        return this;
    }

    /** @param registry the registry the topic's records are decoded with */
    public ViewTopicSourceProcessor(SchemaRegistryClient registry) {
        this.registry = registry;
    }

    @Override
    public void init(ProcessorContext<byte[], SourceOutput> ctx) {
        this.context = ctx;
        this.decoder = new ChangeSerde.ChangeDeserializer(registry);
        this.cursor = new ViewFences.Cursor(fences == null ? -1 : fences.generation(view));
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        RecordMetadata md = context.recordMetadata().orElse(null);
        if (record.key() == null || md == null || cursor.step(record.key(), record.headers()) != ViewFences.Step.APPLY) {
            return;
        }
        byte[] now;
        try {
            now = record.value() == null ? null : Changes.apply(record.key(), null, decoder.deserialize(md.topic(), record.value()));
        } catch (RuntimeException bad) {
            LOG.debug("Skipping a record the tables application dead-letters: {}", bad.toString());
            return;
        }
        Record<byte[], SourceOutput> out = record.withValue(new KeyDelta(record.key(), now == null ? TableSourceProcessor.BLIND : null, now));
        TableSourceProcessor.origin(out.headers(), md.topic(), md.partition(), md.offset());
        context.forward(out);
    }
}
