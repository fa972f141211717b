package io.pequod.views.internals.processor;

import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * A view's source read from the tables application's changelog of {@code table-<table>}: each
 * record is the key's value after a change was applied (a tombstone after an erase), so the view
 * needs no store of its own, no schema and no read-modify-write logic. Every record becomes a
 * {@link KeyDelta} with an unknown old value ({@link TableSourceProcessor#BLIND} for an erase, as
 * for blind PUTs): the join and aggregate stores downstream reconcile each delta with what they
 * hold, so a repeated value changes nothing. The {@value TableSourceProcessor#ORIGIN} header names
 * the table's topic, as the table-topic source does, so freshness is traced to the table.
 */
public final class ChangelogSourceProcessor implements Processor<byte[], byte[], byte[], SourceOutput> {
    private final String tableTopic;
    private ProcessorContext<byte[], SourceOutput> context;

    /** @param tableTopic the table's topic, for the origin header */
    public ChangelogSourceProcessor(String tableTopic) {
        this.tableTopic = tableTopic;
    }


    @Override
    public void init(ProcessorContext<byte[], SourceOutput> ctx) {
        this.context = ctx;
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        if (record.key() != null) {
            byte[] now = StoredValue.value(record.value());
            Record<byte[], SourceOutput> out = record.withValue(new KeyDelta(record.key(), now == null ? TableSourceProcessor.BLIND : null, now));
            RecordMetadata md = context.recordMetadata().orElse(null);
            if (md != null) {
                TableSourceProcessor.origin(out.headers(), tableTopic, md.partition(), md.offset());
            }
            context.forward(out);
        }
    }
}
