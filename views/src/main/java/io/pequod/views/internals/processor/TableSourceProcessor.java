package io.pequod.views.internals.processor;

import io.pequod.schemas.ChangeSerde;
import io.pequod.schemas.Changes;
import io.pequod.schemas.Key;
import io.pequod.schemas.PequodException;
import io.pequod.schemas.SchemaRegistryClient;
import io.pequod.schemas.avro.Change;
import io.pequod.schemas.avro.Operation;
import io.pequod.views.progress.StoreProgress;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Materializes one table topic into a store, applying each {@link Change} to the current value
 * (PUT, INCR, INCRF, APPEND, PREPEND; tombstone = erase), and emits the resulting
 * {@link KeyDelta} (old and new value) for the joins that read the table. PUTs and erases are
 * written without reading the old value (their delta says insert or delete, {@link #BLIND} standing
 * for the unknown old value); the join and aggregate stores downstream reconcile every delta with
 * the tuple they hold, so a replayed or unchanged PUT changes nothing there. A read-modify-write
 * change reads the old value, and one that leaves it as it was emits nothing.
 *
 * <p>A record that cannot be used (no key, a key over the limit, a value not in the wire format,
 * an increment of a non-number written by a producer of the user's) becomes a {@link DeadLetter}
 * with the reason; processing goes on. A change our own writers wait for (it carries a request id)
 * that its operation refuses, such as Redis's INCR of text, is answered to its writer with the
 * reason and is not a dead letter: the client made the error and is told so.
 * Every delta carries the header {@value #ORIGIN} = {@code topic:partition:offset} of the write
 * that caused it, so that freshness can be traced through the joins.
 */
public final class TableSourceProcessor implements Processor<byte[], byte[], byte[], SourceOutput> {
    /** Header naming the originating write of a derived record. */
    public static final String ORIGIN = "pequod.origin";
    private static final Logger LOG = LoggerFactory.getLogger(TableSourceProcessor.class);
    /** The old value of an erased key when it was not read: downstream stores know the real one. */
    public static final byte[] BLIND = new byte[0];
    /** How often the owner looks for expired keys. */
    static final long EXPIRY_SCAN_MS = 100;
    private static final int MAX_EXPIRED_PER_SCAN = 10_000;
    /** What {@link #tryApply} returns for a change it dead-lettered (compared by identity). */
    private static final byte[] REJECTED = new byte[0];

    private final String storeName;
    private final SchemaRegistryClient registry;
    private boolean emitDeltas;
    private final AtomicLong deadLetters;
    private final boolean reportDeadLetters;
    private final StoreProgress progress;
    private ProcessorContext<byte[], SourceOutput> context;
    private KeyValueStore<Bytes, byte[]> store;
    private ChangeSerde.ChangeDeserializer deserializer;

    private LiveStores live;
    private int partition;
    /** What the writer of the record being processed is told ({@link Changes#answer}). */
    private byte[] answer;
    /** The keys' expiry times (the tables application only; views follow its changelog). */
    private Expiries expiries;
    private KeyValueStore<Bytes, byte[]> byKey;
    /** The keys' creation times (the tables application only; does nothing unless asked to keep them). */
    private CreationTimes creations;
    private KeyValueStore<Bytes, byte[]> created;
    private boolean keepsExpiries;
    private boolean keepsCreationTimes;
    /** Replayed changes skipped by this processor (a test reads it). */
    long skipped;
    /** Changes refused to the writer that waited for them, not dead-lettered (a test reads it). */
    long refused;

    /** A view's generations, for a view table's materializer ({@code null} otherwise). */
    private ViewFences fences;
    private String fencedView;
    private ViewFences.Cursor cursor;

    /**
     * The owner also emits each key's delta, for the joins computed in its own application (views
     * whose tables all live there); it still reports dead letters.
     *
     * @return this processor
     */
    public TableSourceProcessor emittingDeltas() {
        this.emitDeltas = true;
        return this;
    }

    /**
     * This processor materializes a view's topic: it follows the generation markers there and drops
     * rows of older generations after them ({@link ViewFences}).
     *
     * @param f    the engine's fences
     * @param view the view
     * @return this processor
     */
    public TableSourceProcessor fencing(ViewFences f, String view) {
        this.fences = f;
        this.fencedView = view;
        return this;
    }

    /** @param l where to register the store while the task runs ({@code null}: nowhere) @return this processor */
    public TableSourceProcessor registeringIn(LiveStores l) {
        this.live = l;
        return this;
    }

    /**
     * @param storeName   the store to materialize into
     * @param registry    the schema registry for decoding
     * @param emitDeltas  whether to emit key deltas (a view's source) or not (the tables application)
     * @param deadLetters counter of dead letters
     * @param progress    told of every applied record (tables application), or {@code null}
     */
    public TableSourceProcessor(String storeName, SchemaRegistryClient registry, boolean emitDeltas, AtomicLong deadLetters,
                                StoreProgress progress) {
        this.progress = progress;
        this.storeName = storeName;
        this.registry = registry;
        this.emitDeltas = emitDeltas;
        this.deadLetters = deadLetters;
        // Every table topic is read by the tables application, which reports its bad records once;
        // views skip them quietly rather than report each a second time.
        this.reportDeadLetters = !emitDeltas;
    }

    /**
     * The table's owner (the tables application) keeps its keys' expiry times in the stores
     * {@code <store>-ttl} and {@code <store>-ttl-index}, and every {@value #EXPIRY_SCAN_MS} ms of
     * wall-clock time emits an {@link ExpiredKey} for each key due.
     *
     * @param creationTimes whether it also keeps their creation times ({@link CreationTimes}, {@code <store>-created})
     * @return this processor
     */
    public TableSourceProcessor keepingExpiries(boolean creationTimes) {
        this.keepsExpiries = true;
        this.keepsCreationTimes = creationTimes;
        return this;
    }

    @Override
    public void init(ProcessorContext<byte[], SourceOutput> ctx) {
        this.context = ctx;
        this.store = ctx.getStateStore(storeName);
        this.deserializer = new ChangeSerde.ChangeDeserializer(registry);
        partition = ctx.taskId().partition();
        if (fences != null) {
            cursor = fences.cursor(fencedView);
        }
        if (keepsExpiries) {
            byKey = ctx.getStateStore(storeName + Expiries.BY_KEY);
            expiries = new Expiries(byKey, ctx.getStateStore(storeName + Expiries.BY_TIME));
            created = keepsCreationTimes ? ctx.getStateStore(storeName + CreationTimes.SUFFIX) : null;
            creations = new CreationTimes(created);
            ctx.schedule(Duration.ofMillis(EXPIRY_SCAN_MS), PunctuationType.WALL_CLOCK_TIME, this::expire);
        }
        if (live != null) {
            live.add(storeName, partition, store);
            if (byKey != null) {
                live.add(storeName + Expiries.BY_KEY, partition, byKey);
                if (created != null) {
                    live.add(storeName + CreationTimes.SUFFIX, partition, created);
                }
            }
        }
    }

    @Override
    public void close() {
        if (live != null) {
            live.remove(storeName, partition, store);
            if (byKey != null) {
                live.remove(storeName + Expiries.BY_KEY, partition, byKey);
                if (created != null) {
                    live.remove(storeName + CreationTimes.SUFFIX, partition, created);
                }
            }
        }
    }

    /** Emits the keys whose expiry passed (reads hide them already; their tombstones erase them). */
    private void expire(long now) {
        for (ExpiredKey e : expiries.takeDue(now, MAX_EXPIRED_PER_SCAN)) {
            context.forward(new Record<>(e.key(), (SourceOutput) e, now));
        }
    }


    @Override
    public void process(Record<byte[], byte[]> record) {
        RecordMetadata md = context.recordMetadata().orElse(null);
        String[] outcome = {null, null};
        answer = null;
        byte[] value = cursor == null ? apply(record, md, outcome) : applyFenced(record, md, outcome);
        if (progress != null && md != null) {
            progress.applied(md.topic(), md.partition(), md.offset(), record.key(), value, answer, outcome[0], outcome[1]);
            if (outcome[1] == null) {
                progress.visible(md.topic(), record.timestamp(), originTopic(record));
            }
        }
    }

    /** A view topic's record: a generation marker, a row of an older generation (dropped), or a row. */
    private byte[] applyFenced(Record<byte[], byte[]> record, RecordMetadata md, String[] outcome) {
        switch (cursor.step(record.key(), record.headers())) {
            case DROP:
                outcome[1] = "a row of an older generation of the view";
                return null;
            case FILL_MARK:
                return null;
            case NEW_GENERATION:
                LOG.info("View {} partition {}: generation {} starts; rows of earlier ones are dropped from here on", fencedView,
                        partition, ViewFences.generationOf(record.headers()));
                return null;
            default:
                return apply(record, md, outcome);
        }
    }

    /**
     * Applies one record; returns the key's value afterwards (null if absent). Sets outcome[0] to
     * the change's request id and outcome[1] to the reason if the record was rejected.
     */
    private byte[] apply(Record<byte[], byte[]> record, RecordMetadata md, String[] outcome) {
        String topic = md == null ? "?" : md.topic();
        byte[] key = record.key();
        if (key == null) {
            outcome[1] = deadLetter(record, "record has no key; table records are keyed by their Pequod key", md);
            return null;
        }
        String problem = Key.validate(key);
        if (problem != null) {
            outcome[1] = deadLetter(record, problem, md);
            return null;
        }
        Bytes k = Bytes.wrap(key);
        Change c = null;
        if (record.value() != null) {
            try {
                c = deserializer.deserialize(topic, record.value());
            } catch (SerializationException e) {
                outcome[1] = deadLetter(record, e.getMessage(), md);
                return StoredValue.value(store.get(k));
            }
            outcome[0] = c.getRequestId();
        }
        if (expiries != null && (c == null ? record.headers().lastHeader(ExpiredKey.HEADER) != null : c.getOp() != Operation.PUT
                || c.getExpireAt() != null || c.getKeepTtl() || expiries.get(k) != null)) {
            return ownerWithExpiry(record, md, k, c, outcome);
        }
        if (c == null || c.getOp() == Operation.PUT) {
            // The old value is needed only to apply a read-modify-write change: a PUT or an erase
            // is written blind, saving a read. Downstream join and aggregate stores reconcile each
            // delta with what they hold, so a view source need not know the old value either: a
            // PUT goes on as an insert, an erase as a delete (BLIND marks its unknown old value).
            byte[] now = c == null ? null : Changes.apply(key, null, c);
            if (now == null) {
                store.delete(k);
                if (expiries != null) {
                    expiries.clear(k); // after the value: a reader reads the expiry first
                    creations.erased(k);
                }
            } else {
                store.put(k, StoredValue.encode(now, offset(md)));
                if (creations != null) {
                    creations.written(k, record.timestamp()); // a get, and a put for a new key
                }
            }
            if (emitDeltas) {
                forward(record, md, new KeyDelta(key, now == null ? BLIND : null, now));
            }
            answer = now;
            return now;
        }
        return applyReadModifyWrite(record, md, k, c, outcome);
    }

    /**
     * The tables application's path for a change that involves expiry (the key has one, the change
     * sets or keeps one, an expiry tombstone) or reads the current value: a key whose expiry is at
     * or before the record's timestamp counts as absent (replays decide alike), and each operation
     * keeps, sets or drops the expiry as Redis does.
     */
    private byte[] ownerWithExpiry(Record<byte[], byte[]> record, RecordMetadata md, Bytes k, Change c, String[] outcome) {
        Long ttl = expiries.get(k);
        if (c == null) {
            Header h = record.headers().lastHeader(ExpiredKey.HEADER);
            if (h != null && (ttl == null || !Long.toString(ttl).equals(new String(h.value(), StandardCharsets.US_ASCII)))) {
                return StoredValue.value(store.get(k)); // the key was written again since: a new key, not the one that expired
            }
            // the value goes before its expiry: a reader reads the expiry first, then the value
            byte[] gone = emitDeltas ? StoredValue.value(store.get(k)) : null;
            store.delete(k);
            expiries.clear(k);
            creations.erased(k);
            if (gone != null) {
                forward(record, md, new KeyDelta(record.key(), gone, null));
            }
            return null;
        }
        byte[] raw;
        byte[] before = null; // the value the joins last saw, if this change finds the key expired
        if (ttl != null && record.timestamp() >= ttl) {
            // expired before this change was written: gone, whatever the change turns out to be
            before = emitDeltas ? StoredValue.value(store.get(k)) : null;
            store.delete(k);
            expiries.clear(k);
            ttl = null;
            raw = null;
        } else {
            raw = store.get(k);
        }
        if (replayed(raw, md)) {
            return skip(raw, c, md, outcome);
        }
        byte[] stored = StoredValue.value(raw);
        byte[] old = stored;
        byte[] now = tryApply(record, md, old, c, outcome);
        if (now == REJECTED) {
            return old;
        }
        answer = Changes.answer(c, old, now);
        Long expireAt = ExpiryRules.after(c, old, ttl);
        if (ExpiryRules.isAnswered(c.getOp())) {
            answer = ExpiryRules.answer(c, old, ttl);
        }
        if (now != null && expireAt != null && expireAt <= record.timestamp()) {
            now = null; // an expiry in the past erases the key
        }
        if (now != null && expireAt != null && !expireAt.equals(ttl)) {
            expiries.set(k, expireAt); // an expiry before its value
        }
        if (!Arrays.equals(stored, now)) {
            if (now == null) {
                store.delete(k);
            } else {
                store.put(k, StoredValue.encode(now, offset(md)));
            }
        }
        byte[] seen = before != null ? before : stored;
        if (emitDeltas && !Arrays.equals(seen, now)) {
            forward(record, md, new KeyDelta(record.key(), seen, now));
        }
        if (now == null || expireAt == null) {
            expiries.clear(k); // a value goes before its expiry
        }
        if (now == null) {
            creations.erased(k);
        } else if (stored == null) {
            creations.created(k, record.timestamp());
        } else {
            creations.written(k, record.timestamp()); // a key written before creation times were kept
        }
        return now;
    }

    /** @return the offset of the record being processed in its topic's partition, or -1 if unknown */
    private static long offset(RecordMetadata md) {
        return md == null ? -1 : md.offset();
    }

    /**
     * @return whether the stored value was made by this change or a later one of the same key: a
     * change replayed after a crash (the store's changelog had it; the committed input offset did
     * not), which must not be applied twice
     */
    private static boolean replayed(byte[] raw, RecordMetadata md) {
        return md != null && StoredValue.offset(raw) >= md.offset();
    }

    /**
     * Skips a replayed change: nothing is written or forwarded. Its writer is told the value it
     * made when nothing came after it (the answer of an operation that answers the old value is
     * unknown then: none), and is not told at all otherwise.
     */
    private byte[] skip(byte[] raw, Change c, RecordMetadata md, String[] outcome) {
        byte[] now = StoredValue.value(raw);
        if (StoredValue.offset(raw) == md.offset()) {
            answer = switch (c.getOp()) {
                case PUT, INCR, INCRF, APPEND, PREPEND, SETRANGE -> now; // they answer the value they made
                default -> null; // the old value, the old bit, an expiry's answer: not known any more
            };
        } else {
            outcome[0] = null;
        }
        skipped++;
        return now;
    }

    /** @return the value after the change, or {@link #REJECTED} (dead-lettered with the reason in outcome[1]) */
    private byte[] tryApply(Record<byte[], byte[]> record, RecordMetadata md, byte[] old, Change c, String[] outcome) {
        try {
            return Changes.apply(record.key(), old, c);
        } catch (PequodException e) {
            if (c.getRequestId() != null) {
                // A refused operation (INCR of text, say) from a writer waiting for its answer: the
                // client's error, answered to the client; dead letters are for records that cannot
                // be read or applied by anyone (a busy Redis client would flood them otherwise).
                outcome[1] = e.getMessage();
                refused++;
                return REJECTED;
            }
            outcome[1] = deadLetter(record, e.getMessage(), md);
        } catch (RuntimeException e) {
            // A change no writer of ours makes (an offset past any value, say): dead-lettered, not
            // a reason to stop every table of the namespace.
            outcome[1] = deadLetter(record, "cannot apply " + c.getOp() + ": " + e, md);
        }
        return REJECTED;
    }

    /** Applies a change that reads the key's current value (all but PUT), setting {@link #answer}. */
    private byte[] applyReadModifyWrite(Record<byte[], byte[]> record, RecordMetadata md, Bytes k, Change c, String[] outcome) {
        byte[] key = record.key();
        byte[] raw = store.get(k);
        if (replayed(raw, md)) {
            return skip(raw, c, md, outcome);
        }
        byte[] old = StoredValue.value(raw);
        byte[] now = tryApply(record, md, old, c, outcome);
        if (now == REJECTED) {
            return old;
        }
        answer = Changes.answer(c, old, now);
        if (Arrays.equals(old, now)) {
            return now;
        }
        if (now == null) {
            store.delete(k);
        } else {
            store.put(k, StoredValue.encode(now, offset(md)));
        }
        if (emitDeltas) {
            forward(record, md, new KeyDelta(key, old, now));
        }
        return now;
    }

    private void forward(Record<byte[], byte[]> record, RecordMetadata md, KeyDelta delta) {
        Record<byte[], SourceOutput> out = record.withValue((SourceOutput) delta);
        if (md != null) {
            origin(out.headers(), md.topic(), md.partition(), md.offset());
        }
        context.forward(out);
    }

    /** Sets the {@value #ORIGIN} header of a derived record to the write it came from, replacing any. */
    static void origin(Headers headers, String topic, int partition, long offset) {
        headers.remove(ORIGIN);
        headers.add(ORIGIN, (topic + ":" + partition + ":" + offset).getBytes(StandardCharsets.UTF_8));
    }

    /** @return the topic of the write a derived record came from ({@value #ORIGIN} header), or {@code null} */
    private static String originTopic(Record<byte[], byte[]> record) {
        Header h = record.headers().lastHeader(ORIGIN);
        if (h == null || h.value() == null) {
            return null;
        }
        byte[] v = h.value();
        int end = v.length;
        for (int colons = 0; end > 0 && colons < 2; ) {
            if (v[--end] == ':') {
                colons++;
            }
        }
        return new String(v, 0, end, StandardCharsets.UTF_8);
    }

    private String deadLetter(Record<byte[], byte[]> record, String reason, RecordMetadata md) {
        if (!reportDeadLetters) {
            LOG.debug("Skipping a record the tables application dead-letters: {}", reason);
            return reason;
        }
        deadLetters.incrementAndGet();
        String topic = md == null ? "?" : md.topic();
        int partition = md == null ? -1 : md.partition();
        long offset = md == null ? -1 : md.offset();
        LOG.warn("Dead letter: {} topic=[{}] partition=[{}] offset=[{}]", reason, topic, partition, offset);
        context.forward(record.withValue((SourceOutput) new DeadLetter(record.key(), record.value(), reason, topic, partition, offset)));
        return reason;
    }
}
