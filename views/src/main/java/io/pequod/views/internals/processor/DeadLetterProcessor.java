package io.pequod.views.internals.processor;

import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

import java.nio.charset.StandardCharsets;

/** Turns {@link DeadLetter}s into the original key and value with headers giving the reason and origin. */
public final class DeadLetterProcessor implements Processor<byte[], SourceOutput, byte[], byte[]> {
    private final String application;
    private ProcessorContext<byte[], byte[]> context;

    /** @param application the Streams application that rejected the records */
    public DeadLetterProcessor(String application) {
        this.application = application;
    }

    @Override
    public void init(ProcessorContext<byte[], byte[]> ctx) {
        this.context = ctx;
    }

    @Override
    public void process(Record<byte[], SourceOutput> record) {
        if (!(record.value() instanceof DeadLetter d)) {
            return;
        }
        Record<byte[], byte[]> out = new Record<>(d.key(), d.value(), record.timestamp(), record.headers());
        Headers h = out.headers();
        h.add(DeadLetter.REASON, utf8(d.reason()));
        h.add(DeadLetter.TOPIC, utf8(d.topic()));
        h.add(DeadLetter.PARTITION, utf8(Integer.toString(d.partition())));
        h.add(DeadLetter.OFFSET, utf8(Long.toString(d.offset())));
        h.add(DeadLetter.APPLICATION, utf8(application));
        context.forward(out);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
