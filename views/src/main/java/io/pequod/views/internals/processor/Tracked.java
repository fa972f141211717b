package io.pequod.views.internals.processor;

import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.StoreBuilder;

import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Wraps a processor with what the engine needs of every processor that reads a topic: it reports
 * each record as processed once the processor handed its outputs on ({@link Positions}, for the
 * settle barrier), and commits its task soon after someone asks ({@link CommitOnRequest}, under
 * exactly-once). Processors themselves know nothing of either.
 *
 * @param <KIn>  input key type
 * @param <VIn>  input value type
 * @param <KOut> output key type
 * @param <VOut> output value type
 */
public final class Tracked<KIn, VIn, KOut, VOut> implements Processor<KIn, VIn, KOut, VOut> {
    private final Processor<KIn, VIn, KOut, VOut> inner;
    private final Positions.Reporter positions;
    private final CommitOnRequest commits;
    private ProcessorContext<KOut, VOut> context;

    private Tracked(Processor<KIn, VIn, KOut, VOut> inner, Positions positions, AtomicLong commitRequests) {
        this.inner = inner;
        this.positions = new Positions.Reporter(positions);
        this.commits = new CommitOnRequest(commitRequests);
    }

    /**
     * @param supplier       the processors to wrap
     * @param positions      where to report processed records, or {@code null}
     * @param commitRequests grows when a commit is wanted soon, or {@code null} (never commit on request)
     * @param <KIn>          input key type
     * @param <VIn>          input value type
     * @param <KOut>         output key type
     * @param <VOut>         output value type
     * @return a supplier of wrapped processors, with the wrapped supplier's stores
     */
    public static <KIn, VIn, KOut, VOut> ProcessorSupplier<KIn, VIn, KOut, VOut> wrap(
            ProcessorSupplier<KIn, VIn, KOut, VOut> supplier, Positions positions, AtomicLong commitRequests) {
        return new ProcessorSupplier<>() {
            @Override
            public Processor<KIn, VIn, KOut, VOut> get() {
                return new Tracked<>(supplier.get(), positions, commitRequests);
            }

            @Override
            public Set<StoreBuilder<?>> stores() {
                return supplier.stores();
            }
        };
    }

    @Override
    public void init(ProcessorContext<KOut, VOut> ctx) {
        this.context = ctx;
        commits.init(ctx);
        inner.init(ctx);
    }

    @Override
    public void process(Record<KIn, VIn> record) {
        commits.check();
        inner.process(record);
        positions.done(context);
    }

    @Override
    public void close() {
        inner.close();
    }
}
