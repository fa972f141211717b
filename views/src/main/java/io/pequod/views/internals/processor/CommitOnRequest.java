package io.pequod.views.internals.processor;

import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ProcessorContext;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Commits a processor's task soon after someone asks (the engine's settle barrier):
 * a busy task sees the request at its next record, an idle one at a 50 ms punctuation. Used under
 * exactly-once, where what a task wrote is visible only once committed.
 */
final class CommitOnRequest {
    private final AtomicLong requests;
    private ProcessorContext<?, ?> context;
    private long seen;

    /** @param requests grows with every request, or {@code null} for none */
    CommitOnRequest(AtomicLong requests) {
        this.requests = requests;
    }

    void init(ProcessorContext<?, ?> ctx) {
        if (requests == null) {
            return;
        }
        context = ctx;
        seen = requests.get();
        ctx.schedule(Duration.ofMillis(50), PunctuationType.WALL_CLOCK_TIME, now -> check());
    }

    /** Commits (Kafka Streams then commits every task of the thread) if a request came since the last. */
    void check() {
        if (context == null) {
            return;
        }
        long r = requests.get();
        if (r != seen) {
            seen = r;
            context.commit();
        }
    }
}
