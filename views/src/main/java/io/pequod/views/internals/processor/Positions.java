package io.pequod.views.internals.processor;

import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.RecordMetadata;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How far each application's processors have processed each input partition (source topics and
 * repartition topics), updated after a record's outputs were handed to the producer. With the
 * producer acknowledgements ({@link AckCounter}) this tells when everything a view's inputs
 * caused is in Kafka, without waiting for a commit. Thread-safe.
 */
public final class Positions {
    private final Map<String, AtomicLong> processed = new ConcurrentHashMap<>();

    /**
     * @param application an application id
     * @param topic       a topic it reads
     * @param partition   a partition
     * @return the highest offset it processed there, or -1
     */
    public long processed(String application, String topic, int partition) {
        AtomicLong a = processed.get(application + "/" + topic + "/" + partition);
        return a == null ? -1 : a.get();
    }

    /** Remembers the slot of the partition a processor last reported, to report without a map lookup. */
    public static final class Reporter {
        private final Positions positions;
        private String topic;
        private int partition = -1;
        private AtomicLong slot;

        /** @param positions where to report, or {@code null} to report nothing */
        public Reporter(Positions positions) {
            this.positions = positions;
        }

        /** Reports the record the context is processing as processed. @param ctx the processor's context */
        public void done(ProcessorContext<?, ?> ctx) {
            if (positions == null) {
                return;
            }
            RecordMetadata md = ctx.recordMetadata().orElse(null);
            if (md == null) {
                return;
            }
            if (slot == null || md.partition() != partition || !md.topic().equals(topic)) {
                topic = md.topic();
                partition = md.partition();
                slot = positions.processed.computeIfAbsent(ctx.applicationId() + "/" + topic + "/" + partition, k -> new AtomicLong(-1));
            }
            slot.accumulateAndGet(md.offset(), Math::max);
        }
    }
}
