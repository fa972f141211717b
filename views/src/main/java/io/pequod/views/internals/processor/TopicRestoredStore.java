package io.pequod.views.internals.processor;

import io.pequod.schemas.ChangeSerde;
import io.pequod.schemas.Changes;
import io.pequod.schemas.SchemaRegistryClient;
import io.pequod.schemas.avro.Change;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsMetrics;
import org.apache.kafka.streams.processor.StateRestoreCallback;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.processor.internals.RecordBatchingStateRestoreCallback;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.query.Query;
import org.apache.kafka.streams.query.QueryConfig;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A view table's store in the tables application, restored from the view's own topic rather than
 * from a changelog of its own: each derived row is written to Kafka once (Kafka Streams' KTable
 * source does the same with {@code topology.optimization}). The topic holds Avro {@link Change}
 * records, the store {@link StoredValue}s: the store's restore callback is wrapped so that each
 * record restored is decoded and stored as the processor would have stored it (a PUT's value, a
 * tombstone's erase). A record that cannot be decoded (dead-lettered when it was processed) is
 * left out.
 *
 * <p>Kafka Streams offers no public way to restore a processor's store from its source topic with
 * a transformation; the wrapper intercepts the inner store's registration of its restore callback
 * ({@link RecordBatchingStateRestoreCallback}, an interface of Streams' internals), and the
 * topology connects the store to its topic as the DSL does ({@code connectSourceStoreAndTopic}).
 */
public final class TopicRestoredStore implements KeyValueBytesStoreSupplier {
    private static final Logger LOG = LoggerFactory.getLogger(TopicRestoredStore.class);

    private final KeyValueBytesStoreSupplier inner;
    private final SchemaRegistryClient registry;
    private ViewFences fences;
    private String view;

    /**
     * @param inner    the store to restore into (RocksDB)
     * @param registry the registry the topic's records are decoded with
     */
    public TopicRestoredStore(KeyValueBytesStoreSupplier inner, SchemaRegistryClient registry) {
        this.inner = inner;
        this.registry = registry;
    }

    /**
     * @param f the engine's fences: restoring follows the view's generation markers as its
     *          materializer does ({@link ViewFences})
     * @param v the view
     * @return this supplier
     */
    public TopicRestoredStore fencing(ViewFences f, String v) {
        this.fences = f;
        this.view = v;
        return this;
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public KeyValueStore<Bytes, byte[]> get() {
        return new Store(inner.get(), new ChangeSerde.ChangeDeserializer(registry), fences, view);
    }

    @Override
    public String metricsScope() {
        return inner.metricsScope();
    }

    /** @return the stored form of a view topic's record, or {@code null} for a tombstone @throws RuntimeException if it cannot be decoded */
    static byte[] stored(ChangeSerde.ChangeDeserializer d, ConsumerRecord<byte[], byte[]> r) {
        if (r.value() == null) {
            return null;
        }
        Change c = d.deserialize(r.topic(), r.value());
        byte[] v = Changes.apply(r.key(), null, c);
        return v == null ? null : StoredValue.encode(v, r.offset());
    }

    private static final class Store implements KeyValueStore<Bytes, byte[]> {
        private final KeyValueStore<Bytes, byte[]> s;
        private final ChangeSerde.ChangeDeserializer decoder;
        private final ViewFences fences;
        private final String view;

        Store(KeyValueStore<Bytes, byte[]> s, ChangeSerde.ChangeDeserializer decoder, ViewFences fences, String view) {
            this.s = s;
            this.decoder = decoder;
            this.fences = fences;
            this.view = view;
        }

        @Override
        public void init(StateStoreContext context, StateStore root) {
            ViewFences.Cursor cursor = fences == null ? null : fences.cursor(view);
            s.init(new DecodingContext(context, decoder, cursor), root);
        }

        @Override
        public String name() {
            return s.name();
        }

        @Override
        public void put(Bytes key, byte[] value) {
            s.put(key, value);
        }

        @Override
        public byte[] putIfAbsent(Bytes key, byte[] value) {
            return s.putIfAbsent(key, value);
        }

        @Override
        public void putAll(List<KeyValue<Bytes, byte[]>> entries) {
            s.putAll(entries);
        }

        @Override
        public byte[] delete(Bytes key) {
            return s.delete(key);
        }

        @Override
        public byte[] get(Bytes key) {
            return s.get(key);
        }

        @Override
        public KeyValueIterator<Bytes, byte[]> range(Bytes from, Bytes to) {
            return s.range(from, to);
        }

        @Override
        public KeyValueIterator<Bytes, byte[]> reverseRange(Bytes from, Bytes to) {
            return s.reverseRange(from, to);
        }

        @Override
        public KeyValueIterator<Bytes, byte[]> all() {
            return s.all();
        }

        @Override
        public KeyValueIterator<Bytes, byte[]> reverseAll() {
            return s.reverseAll();
        }

        @Override
        public <PS extends org.apache.kafka.common.serialization.Serializer<P>, P> KeyValueIterator<Bytes, byte[]> prefixScan(P prefix,
                                                                                                                        PS prefixKeySerializer) {
            return s.prefixScan(prefix, prefixKeySerializer);
        }

        @Override
        public long approximateNumEntries() {
            return s.approximateNumEntries();
        }

        @Override
        @SuppressWarnings("deprecation")
        public void flush() {
            s.flush();
        }

        @Override
        public void commit(Map<TopicPartition, Long> changelogOffsets) {
            s.commit(changelogOffsets);
        }

        @Override
        public Long committedOffset(TopicPartition partition) {
            return s.committedOffset(partition);
        }

        @Override
        public boolean managesOffsets() {
            return s.managesOffsets();
        }

        @Override
        public void close() {
            s.close();
        }

        @Override
        public boolean persistent() {
            return s.persistent();
        }

        @Override
        public boolean isOpen() {
            return s.isOpen();
        }

        @Override
        public <R> QueryResult<R> query(Query<R> query, PositionBound positionBound, QueryConfig config) {
            return s.query(query, positionBound, config);
        }

        @Override
        public Position getPosition() {
            return s.getPosition();
        }
    }

    /** The store's context, but for the restore callback it registers, which decodes first. */
    private record DecodingContext(StateStoreContext c, ChangeSerde.ChangeDeserializer decoder, ViewFences.Cursor cursor)
            implements StateStoreContext {
        @Override
        public String applicationId() {
            return c.applicationId();
        }

        @Override
        public TaskId taskId() {
            return c.taskId();
        }

        @Override
        public Optional<RecordMetadata> recordMetadata() {
            return c.recordMetadata();
        }

        @Override
        public Serde<?> keySerde() {
            return c.keySerde();
        }

        @Override
        public Serde<?> valueSerde() {
            return c.valueSerde();
        }

        @Override
        public File stateDir() {
            return c.stateDir();
        }

        @Override
        public StreamsMetrics metrics() {
            return c.metrics();
        }

        @Override
        public void register(StateStore store, StateRestoreCallback callback) {
            c.register(store, decoding(callback));
        }

        @Override
        public void register(StateStore store, StateRestoreCallback callback,
                             org.apache.kafka.streams.processor.CommitCallback checkpoint) {
            c.register(store, decoding(callback), checkpoint);
        }

        @Override
        public Map<String, Object> appConfigs() {
            return c.appConfigs();
        }

        @Override
        public Map<String, Object> appConfigsWithPrefix(String prefix) {
            return c.appConfigsWithPrefix(prefix);
        }

        private StateRestoreCallback decoding(StateRestoreCallback callback) {
            if (!(callback instanceof RecordBatchingStateRestoreCallback batch)) {
                throw new IllegalStateException("a store restored from its topic must restore in batches of records; "
                        + callback.getClass().getName() + " does not");
            }
            return (RecordBatchingStateRestoreCallback) records -> batch.restoreBatch(decode(records));
        }

        private Collection<ConsumerRecord<byte[], byte[]>> decode(Collection<ConsumerRecord<byte[], byte[]>> records) {
            List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>(records.size());
            for (ConsumerRecord<byte[], byte[]> r : records) {
                if (r.key() == null) {
                    continue;
                }
                if (cursor != null && cursor.step(r.key(), r.headers()) != ViewFences.Step.APPLY) {
                    continue; // a marker (generation or back-fill), or a row of an older generation after one
                }
                byte[] v;
                try {
                    v = stored(decoder, r);
                } catch (RuntimeException bad) {
                    LOG.debug("Not restoring {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), bad.toString());
                    continue;
                }
                out.add(new ConsumerRecord<>(r.topic(), r.partition(), r.offset(), r.timestamp(), r.timestampType(),
                        r.serializedKeySize(), v == null ? 0 : v.length, r.key(), v, r.headers(), r.leaderEpoch()));
            }
            return out;
        }
    }
}
