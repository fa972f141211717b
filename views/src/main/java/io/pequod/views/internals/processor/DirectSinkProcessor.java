package io.pequod.views.internals.processor;

import io.pequod.schemas.Changes;
import io.pequod.schemas.avro.Change;
import io.pequod.schemas.avro.Operation;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Copy joins whose sink key includes every source slot: each result has its own sink key, so a
 * result becomes a put of its value and a removed result an erase, with no grouping state.
 */
public final class DirectSinkProcessor implements Processor<byte[], TupleDelta, byte[], Change> {
    private ProcessorContext<byte[], Change> context;

    @Override
    public void init(ProcessorContext<byte[], Change> ctx) {
        this.context = ctx;
    }

    @Override
    public void process(Record<byte[], TupleDelta> record) {
        TupleDelta d = record.value();
        if (d.kind() == TupleDelta.Kind.MARK) {
            FillMark mark = FillMark.decode(d.oldValue());
            Record<byte[], Change> out = new Record<>(mark.topicKey(), null, record.timestamp(), record.headers());
            out.headers().remove(FillMark.HEADER);
            out.headers().add(FillMark.HEADER, mark.headerValue());
            context.forward(out);
            return;
        }
        Change c = d.kind() == TupleDelta.Kind.DELETE ? null : Changes.of(Operation.PUT, d.tuple().value);
        FaultPoint.beforeOutput(true);
        context.forward(record.withValue(c));
    }
}
