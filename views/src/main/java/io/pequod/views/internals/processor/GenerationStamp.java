package io.pequod.views.internals.processor;

import io.pequod.schemas.avro.Change;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * The last step before a view's topic: stamps each row with the generation that wrote it
 * ({@link ViewFences#GENERATION}) and, for a view computed inside a tables application, drops the
 * rows while this instance's gate for the view is closed (a newer generation took it over).
 */
public final class GenerationStamp implements Processor<byte[], Change, byte[], Change> {
    private final String view;
    private final int generation;
    private final ViewFences gates;
    private ProcessorContext<byte[], Change> context;

    /**
     * @param view       the view
     * @param generation the generation writing (a view application's own; inside a tables
     *                   application, 0: a view is computed there only from its first generation)
     * @param gates      the gates to obey, or {@code null} (a view's own application always writes)
     */
    public GenerationStamp(String view, int generation, ViewFences gates) {
        this.view = view;
        this.generation = generation;
        this.gates = gates;
    }

    @Override
    public void init(ProcessorContext<byte[], Change> ctx) {
        this.context = ctx;
    }

    @Override
    public void process(Record<byte[], Change> record) {
        if (gates != null && !gates.isOpen(view)) {
            return;
        }
        ViewFences.stamp(record.headers(), generation);
        context.forward(record);
    }
}
