package io.pequod.views.internals.processor;

import org.apache.kafka.clients.producer.ProducerInterceptor;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * A producer interceptor counting the records an application's producers sent and the ones the
 * broker acknowledged (or failed). When the two are equal, everything the application produced so
 * far is in Kafka. Configured with {@value #ID} naming the counter.
 */
public final class AckCounter implements ProducerInterceptor<Object, Object> {
    /** Producer config naming the counter to use. */
    public static final String ID = "pequod.ack.counter";
    private static final Map<String, Counts> COUNTERS = new ConcurrentHashMap<>();

    /** Sent and acknowledged records. */
    public static final class Counts {
        private final LongAdder sent = new LongAdder();
        private final LongAdder acked = new LongAdder();

        /** @return whether every record sent so far was acknowledged (or failed) */
        public boolean quiet() {
            long a = acked.sum();
            return a >= sent.sum(); // acks never outnumber sends: equal at the moment acked was read
        }
    }

    private Counts counts;

    /**
     * @param id a counter's name
     * @return the counter (created if new)
     */
    public static Counts counts(String id) {
        return COUNTERS.computeIfAbsent(id, k -> new Counts());
    }

    /** @param id a counter no longer used */
    public static void forget(String id) {
        COUNTERS.remove(id);
    }

    @Override
    public void configure(Map<String, ?> configs) {
        Object id = configs.get(ID);
        counts = counts(id == null ? "unnamed" : id.toString());
    }

    @Override
    public ProducerRecord<Object, Object> onSend(ProducerRecord<Object, Object> record) {
        counts.sent.increment();
        return record;
    }

    @Override
    public void onAcknowledgement(RecordMetadata metadata, Exception exception) {
        counts.acked.increment();
    }

    @Override
    public void close() {
    }
}
