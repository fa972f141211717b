package io.pequod.views.internals.processor;

import io.pequod.views.spec.PartialRange;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;

/**
 * A partial view's activations and evictions, in the task of its driving table's partition (the
 * activation log is partitioned like that table, so both arrive in one task, in one order).
 *
 * <p>The activation log's record key is the driving prefix {@code s|v|}; its value
 * {@value #ACTIVATE} or {@value #EVICT}. The gate store ({@code <view>-active}, with a changelog)
 * holds the prefixes of the materialized ranges: what is materialized is a function of the log.
 *
 * <ul>
 *   <li>{@link Log} applies the log: an activation opens the range in the gate and back-fills it,
 *       sending each driving row {@code s|v|...} now in the table's store into the join as an
 *       insert, then a {@link FillMark} (epoch = the activation's offset) after the last row sent to each
 *       partition of the join step (the way those rows went, so it arrives after them); an eviction
 *       closes the range and sends each row as a delete, so that the join erases the range's rows.</li>
 *   <li>{@link Gate} passes the driving table's changes on to the join only for open ranges, so the
 *       join keeps subscriptions (and pushes rows) only for materialized ranges.</li>
 * </ul>
 *
 * <p>Writes racing a back-fill are exact: a change of the driving table is ordered with the
 * activation in this task (before it: in the store, so back-filled; after it: passed by the gate);
 * a change of the other source meets the back-filled row in the join step's symmetric join, which
 * produces each match once whichever arrives first, and absorbs a row sent twice (a replay).
 */
public final class Activations {
    /** Activation log value: materialize the range. */
    public static final String ACTIVATE = "A";
    /** Activation log value: evict the range. */
    public static final String EVICT = "E";

    private Activations() {
    }

    /** Applies the activation log. */
    public static final class Log implements Processor<byte[], byte[], byte[], SourceOutput> {
        private final PartialRange range;
        private final String tableStore;
        private final String gateStore;
        private final ToIntFunction<byte[]> route;
        private ProcessorContext<byte[], SourceOutput> context;
        private KeyValueStore<Bytes, byte[]> table;
        private KeyValueStore<Bytes, byte[]> gate;

        /**
         * @param range      the view's ranges
         * @param tableStore the driving table's store
         * @param gateStore  the gate store
         * @param route      the partition of the join step each driving row goes to (a constant where it
         *                   is not repartitioned): one marker per partition, after the last row sent there
         */
        public Log(PartialRange range, String tableStore, String gateStore, ToIntFunction<byte[]> route) {
            this.route = route;
            this.range = range;
            this.tableStore = tableStore;
            this.gateStore = gateStore;
        }

        @Override
        public void init(ProcessorContext<byte[], SourceOutput> ctx) {
            this.context = ctx;
            this.table = ctx.getStateStore(tableStore);
            this.gate = ctx.getStateStore(gateStore);
        }

        @Override
        public void process(Record<byte[], byte[]> record) {
            byte[] prefix = record.key();
            byte[] v = prefix == null ? null : range.valueOfDriving(prefix);
            if (v == null || record.value() == null || prefix.length != range.drivingPrefix(v).length) {
                return; // not an activation of ours
            }
            long epoch = context.recordMetadata().map(RecordMetadata::offset).orElse(-1L);
            List<KeyValue<byte[], byte[]>> rows = new ArrayList<>();
            try (KeyValueIterator<Bytes, byte[]> it = Stores2.prefix(table, prefix)) {
                while (it.hasNext()) {
                    KeyValue<Bytes, byte[]> kv = it.next();
                    byte[] value = StoredValue.value(kv.value);
                    if (value != null) {
                        rows.add(KeyValue.pair(kv.key.get(), value));
                    }
                }
            }
            boolean activate = record.value().length == 1 && record.value()[0] == ACTIVATE.charAt(0);
            Bytes gateKey = Bytes.wrap(prefix);
            if (activate) {
                gate.put(gateKey, ByteBuffer.allocate(8).putLong(epoch).array());
                byte[] viewPrefix = range.viewPrefix(v);
                Map<Integer, byte[]> lastSentTo = new LinkedHashMap<>();
                for (KeyValue<byte[], byte[]> row : rows) {
                    context.forward(record.withKey(row.key).withValue(new KeyDelta(row.key, null, row.value)));
                    lastSentTo.put(route.applyAsInt(row.key), row.key);
                }
                if (rows.isEmpty()) {
                    context.forward(record.withValue(new FillMark(null, viewPrefix, epoch, 1, 0)));
                }
                int i = 0;
                for (byte[] k : lastSentTo.values()) { // each after the rows sent the same way
                    context.forward(record.withKey(k).withValue(new FillMark(k, viewPrefix, epoch, lastSentTo.size(), i++)));
                }
            } else {
                gate.delete(gateKey);
                for (KeyValue<byte[], byte[]> row : rows) {
                    context.forward(record.withKey(row.key).withValue(new KeyDelta(row.key, row.value, null)));
                }
                // tells the view's owner the range is gone (an owner after a rebalance learns it so)
                context.forward(record.withValue(new FillMark(null, range.viewPrefix(v), epoch, 0, 0)));
            }
        }
    }

    /** Passes a driving table's changes only for materialized ranges. */
    public static final class Gate implements Processor<byte[], SourceOutput, byte[], SourceOutput> {
        private final PartialRange range;
        private final String gateStore;
        private ProcessorContext<byte[], SourceOutput> context;
        private KeyValueStore<Bytes, byte[]> gate;

        /** @param range the view's ranges @param gateStore the gate store */
        public Gate(PartialRange range, String gateStore) {
            this.range = range;
            this.gateStore = gateStore;
        }

        @Override
        public void init(ProcessorContext<byte[], SourceOutput> ctx) {
            this.context = ctx;
            this.gate = ctx.getStateStore(gateStore);
        }

        @Override
        public void process(Record<byte[], SourceOutput> record) {
            if (!(record.value() instanceof KeyDelta d)) {
                return;
            }
            byte[] v = range.valueOfDriving(d.key());
            if (v != null && gate.get(Bytes.wrap(range.drivingPrefix(v))) != null) {
                context.forward(record);
            }
        }
    }
}
