package io.pequod.views.internals.processor;

import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

import java.nio.charset.StandardCharsets;

/** Turns the {@link ExpiredKey}s a table's owner finds into tombstones for the table topic. */
public final class ExpiryTombstones implements Processor<byte[], SourceOutput, byte[], byte[]> {
    private ProcessorContext<byte[], byte[]> context;

    @Override
    public void init(ProcessorContext<byte[], byte[]> ctx) {
        this.context = ctx;
    }

    @Override
    public void process(Record<byte[], SourceOutput> record) {
        if (record.value() instanceof ExpiredKey e) {
            RecordHeaders h = new RecordHeaders();
            h.add(ExpiredKey.HEADER, Long.toString(e.expireAt()).getBytes(StandardCharsets.US_ASCII));
            context.forward(new Record<>(e.key(), null, record.timestamp(), h));
        }
    }
}
