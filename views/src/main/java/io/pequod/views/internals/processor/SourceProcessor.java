package io.pequod.views.internals.processor;

import io.pequod.ingest.source.BadRecordException;
import io.pequod.ingest.source.SourceMapping;
import io.pequod.schemas.Changes;
import io.pequod.schemas.avro.Change;
import io.pequod.schemas.avro.Operation;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Maps each record of a user's topic to changes of a table ({@link SourceMapping}): forwards
 * {@code PUT} changes and tombstones to {@link #TO_TABLE}, and a record that cannot be mapped, as a
 * {@link DeadLetter} with the reason and origin, to {@link #TO_DEAD_LETTERS}.
 */
public final class SourceProcessor implements Processor<byte[], byte[], byte[], Object> {
    /** The child that writes the table topic. */
    public static final String TO_TABLE = "to-table";
    /** The child that writes the dead-letter topic. */
    public static final String TO_DEAD_LETTERS = "to-dead-letters";

    private final SourceMapping mapping;
    private final AtomicLong deadLetters;
    private final AtomicLong total;
    private ProcessorContext<byte[], Object> context;

    /**
     * @param mapping     the source's mapping
     * @param deadLetters counter of this source's dead letters
     * @param total       counter of every dead letter of the engine
     */
    public SourceProcessor(SourceMapping mapping, AtomicLong deadLetters, AtomicLong total) {
        this.mapping = mapping;
        this.deadLetters = deadLetters;
        this.total = total;
    }

    @Override
    public void init(ProcessorContext<byte[], Object> ctx) {
        this.context = ctx;
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        List<SourceMapping.Write> writes;
        try {
            writes = mapping.map(record.key(), record.value());
        } catch (BadRecordException e) {
            deadLetters.incrementAndGet();
            total.incrementAndGet();
            RecordMetadata md = context.recordMetadata().orElse(null);
            DeadLetter d = new DeadLetter(record.key(), record.value(), e.getMessage(), md == null ? "" : md.topic(),
                    md == null ? -1 : md.partition(), md == null ? -1 : md.offset());
            context.forward(new Record<>(record.key(), d, record.timestamp()), TO_DEAD_LETTERS);
            return;
        }
        for (SourceMapping.Write w : writes) {
            Change c = w.value() == null ? null : Changes.of(Operation.PUT, w.value().getBytes(StandardCharsets.UTF_8));
            context.forward(new Record<>(w.key().getBytes(StandardCharsets.UTF_8), c, record.timestamp()), TO_TABLE);
        }
    }
}
