package io.pequod.views.internals.engine;

import io.pequod.schemas.PartitionRule;
import io.pequod.views.internals.processor.Activations;
import io.pequod.views.internals.processor.FillMark;
import io.pequod.views.internals.processor.ViewFences;
import io.pequod.views.spec.PartialRange;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * This instance's side of the partial views: which ranges are materialized (learned from the
 * back-fill markers its materializers read, live or restoring), activations asked for by reads
 * (a record in the view's activation log; the read waits for every marker of that activation),
 * and eviction of the ranges least recently read past the budget (a record in the log too).
 *
 * <p>The state here is a cache of what the logs say: after a restart or a rebalance the markers
 * read again rebuild it, and a range it does not know is activated again at its next read (a
 * back-fill of a range already materialized changes nothing: the join absorbs rows it holds).
 */
public final class OnDemand implements ViewFences.FillListener, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OnDemand.class);
    /** How long a read waits for its range's back-fill. */
    public static final long TIMEOUT_MS = 30_000;
    /** A range read within this long is not evicted. */
    private static final long EVICT_GRACE_NANOS = 1_000_000_000L;

    /** Per view: what it did. */
    public record Stats(long ranges, long activations, long evictions, long backfills, double backfillMsTotal,
                        double backfillMsMax) {
    }

    private final Map<String, View> views = new ConcurrentHashMap<>();
    private final Supplier<Producer<byte[], byte[]>> producerFactory;
    private final PartitionRule rule;
    private final Map<String, Integer> partitions;
    private final IntSupplier budget;
    private final Object producerLock = new Object();
    private Producer<byte[], byte[]> producer;
    private final AtomicLong evicting = new AtomicLong();
    private ViewFences fences;

    /**
     * @param producerConfig the producer's client settings
     * @param rule           the partitioning rule
     * @param partitions     the tables' partition counts
     * @param budget         the most materialized ranges this instance keeps
     */
    public OnDemand(Map<String, Object> producerConfig, PartitionRule rule, Map<String, Integer> partitions, IntSupplier budget) {
        Map<String, Object> c = new HashMap<>(producerConfig);
        c.put(ProducerConfig.ACKS_CONFIG, "all");
        c.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        c.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        c.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000); // a read waits at most that for the log's metadata
        c.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "pequod-activations");
        this.producerFactory = () -> new KafkaProducer<>(c, new ByteArraySerializer(), new ByteArraySerializer());
        this.rule = rule;
        this.partitions = partitions;
        this.budget = budget;
    }

    /** @param f the engine's fences: a partial view fenced off there is no longer partial here @return this */
    public OnDemand fencedBy(ViewFences f) {
        this.fences = f;
        return this;
    }

    /**
     * @param topic the view's activation log
     * @param range how the view is cut into ranges
     */
    public void register(String topic, PartialRange range) {
        views.computeIfAbsent(range.view(), v -> new View(topic, range));
        LOG.info("View {} is partial: ranges {} are materialized on demand through {}", range.view(), range.describe(), topic);
    }

    /** @param view a table @return its ranges, if it is a partial view computed here */
    public PartialRange range(String view) {
        View v = live(view);
        return v == null ? null : v.range;
    }

    /**
     * @return the view's state here while its partial copy in the tables application computes it;
     * {@code null} once that copy is fenced off (the view rebuilt or redefined runs, complete, in
     * an application of its own, whose store reads answer as any view's)
     */
    private View live(String view) {
        View v = views.get(view);
        return v == null || fences != null && !fences.isOpen(view) ? null : v;
    }

    /**
     * @param view  a table
     * @param first a read's first key
     * @param last  its end (exclusive), or {@code null} for one key
     * @return why a read of a partial view cannot be answered (it spans several ranges), or {@code null}
     */
    public String problem(String view, byte[] first, byte[] last) {
        View v = live(view);
        if (v == null || v.range.valueOfRead(first, last) != null) {
            return null;
        }
        String head = new String(v.range.viewHead(), StandardCharsets.UTF_8);
        return "view " + view + " is partial: it is materialized one range " + v.range.describe() + " at a time, when first"
                + " read, so a read must stay within one range (e.g. " + head + "<" + v.range.slot() + ">| to " + head + "<"
                + v.range.slot() + ">}); this one does not";
    }

    /**
     * @param view a partial view
     * @param key  a key of it
     * @return whether the key's range is materialized here now (asks for nothing: for callers that must not block)
     */
    public boolean materializedNow(String view, byte[] key) {
        View v = live(view);
        byte[] value = v == null ? null : v.range.valueOfRead(key, null);
        Range r = value == null ? null : v.ranges.get(new String(value, StandardCharsets.ISO_8859_1));
        if (r == null) {
            return false;
        }
        synchronized (r) {
            if (r.complete) {
                r.lastRead = System.nanoTime();
            }
            return r.complete;
        }
    }

    /**
     * @param view  a table
     * @param first a read's first key
     * @param last  its end (exclusive), or {@code null} for one key
     * @return completes when the read's range is materialized (at once for other tables); fails
     * with {@link IllegalArgumentException} for a read spanning several ranges of a partial view
     */
    public CompletableFuture<Void> materialize(String view, byte[] first, byte[] last) {
        View v = live(view);
        if (v == null) {
            return CompletableFuture.completedFuture(null);
        }
        byte[] value = v.range.valueOfRead(first, last);
        if (value == null) {
            return CompletableFuture.failedFuture(new IllegalArgumentException(problem(view, first, last)));
        }
        String key = new String(value, StandardCharsets.ISO_8859_1);
        Range r = v.ranges.computeIfAbsent(key, k -> new Range());
        CompletableFuture<Void> wait;
        boolean send = false;
        synchronized (r) {
            r.lastRead = System.nanoTime();
            if (r.complete) {
                return CompletableFuture.completedFuture(null);
            }
            if (r.pending == null) {
                r.pending = new CompletableFuture<>();
                r.requested = Long.MAX_VALUE;
                r.started = System.nanoTime();
                send = true;
            }
            wait = r.pending;
        }
        if (send) {
            v.activations.incrementAndGet();
            send(v, value, Activations.ACTIVATE, r);
        }
        return wait.copy().orTimeout(TIMEOUT_MS, TimeUnit.MILLISECONDS);
    }

    private void send(View v, byte[] value, String what, Range r) {
        byte[] prefix = v.range.drivingPrefix(value);
        int n = partitions.getOrDefault(v.range.table(), 1);
        ProducerRecord<byte[], byte[]> rec = new ProducerRecord<>(v.topic, rule.partition(prefix, n), prefix,
                what.getBytes(StandardCharsets.US_ASCII));
        try {
            producer().send(rec, (md, e) -> {
                if (r == null) {
                    if (e != null) {
                        LOG.warn("Could not evict a range of view {}: {}", v.range.view(), e.toString());
                    }
                    return;
                }
                CompletableFuture<Void> done = null;
                Throwable failed = e;
                synchronized (r) {
                    if (e == null) {
                        r.requested = md.offset();
                        if (r.completedEpoch >= r.requested) {
                            done = finish(v, r);
                        }
                    } else {
                        done = r.pending;
                        r.pending = null;
                    }
                }
                if (done != null) {
                    if (failed != null) {
                        done.completeExceptionally(failed);
                    } else {
                        done.complete(null);
                    }
                }
            });
        } catch (RuntimeException e) {
            if (r != null) {
                CompletableFuture<Void> p;
                synchronized (r) {
                    p = r.pending;
                    r.pending = null;
                }
                if (p != null) {
                    p.completeExceptionally(e);
                }
            }
        }
    }

    private Producer<byte[], byte[]> producer() {
        synchronized (producerLock) {
            if (producer == null) {
                producer = producerFactory.get();
            }
            return producer;
        }
    }

    /** Called under the range's lock when its requested activation is complete. @return the read to wake */
    private CompletableFuture<Void> finish(View v, Range r) {
        setComplete(v, r, true);
        CompletableFuture<Void> p = r.pending;
        r.pending = null;
        if (p != null) {
            double ms = (System.nanoTime() - r.started) / 1e6;
            v.backfills.incrementAndGet();
            synchronized (v) {
                v.backfillMsTotal += ms;
                v.backfillMsMax = Math.max(v.backfillMsMax, ms);
            }
        }
        return p;
    }

    @Override
    public void filled(String view, FillMark mark) {
        View v = views.get(view);
        if (v == null) {
            return;
        }
        byte[] value = v.range.valueOfViewPrefix(mark.viewPrefix());
        if (value == null) {
            return;
        }
        Range r = v.ranges.computeIfAbsent(new String(value, StandardCharsets.ISO_8859_1), k -> new Range());
        CompletableFuture<Void> done = null;
        synchronized (r) {
            if (mark.count() == 0) { // an eviction
                if (mark.epoch() > r.completedEpoch) {
                    r.completedEpoch = mark.epoch();
                    setComplete(v, r, false);
                    r.marks.keySet().removeIf(e -> e <= mark.epoch()); // a later activation's markers may be here already
                }
            } else if (mark.epoch() > r.completedEpoch) {
                List<Integer> seen = r.marks.computeIfAbsent(mark.epoch(), e -> new ArrayList<>());
                if (!seen.contains(mark.index())) {
                    seen.add(mark.index());
                }
                if (seen.size() >= mark.count()) {
                    r.completedEpoch = mark.epoch();
                    r.marks.keySet().removeIf(e -> e <= mark.epoch());
                    if (r.requested == Long.MAX_VALUE && r.pending != null) {
                        // a read waits, but its activation's offset is not known yet: the send callback decides
                        return;
                    }
                    if (r.pending == null || r.completedEpoch >= r.requested) {
                        done = finish(v, r);
                    }
                }
            }
        }
        if (done != null) {
            done.complete(null);
            if (views.values().stream().mapToLong(x -> x.count.get()).sum() > budget.getAsInt()) {
                CompletableFuture.runAsync(this::evictIfOver);
            }
        }
    }

    /** Under the range's lock. */
    private static void setComplete(View v, Range r, boolean complete) {
        if (r.complete != complete) {
            r.complete = complete;
            v.count.addAndGet(complete ? 1 : -1);
        }
    }

    /** Evicts the ranges least recently read while this instance keeps more than its budget. */
    private void evictIfOver() {
        int max = budget.getAsInt();
        long total = views.values().stream().mapToLong(x -> x.count.get()).sum();
        if (total <= max || evicting.getAndIncrement() > 0) {
            return;
        }
        try {
            long now = System.nanoTime();
            List<Candidate> candidates = new ArrayList<>();
            for (View v : views.values()) {
                v.ranges.forEach((k, r) -> {
                    synchronized (r) {
                        if (r.complete && r.pending == null && now - r.lastRead > EVICT_GRACE_NANOS) {
                            candidates.add(new Candidate(v, k, r, r.lastRead));
                        }
                    }
                });
            }
            candidates.sort(Comparator.comparingLong(Candidate::lastRead));
            long over = total - Math.max(1, max * 9L / 10); // down to 90% of the budget, not one at a time
            for (int i = 0; i < candidates.size() && over > 0; i++) {
                Candidate c = candidates.get(i);
                synchronized (c.range()) {
                    if (!c.range().complete || c.range().pending != null || now - c.range().lastRead <= EVICT_GRACE_NANOS) {
                        continue;
                    }
                    // under the range's lock: a read's activation of it is sent after this eviction, so it
                    // follows it in the log
                    setComplete(c.view(), c.range(), false);
                    send(c.view(), c.key().getBytes(StandardCharsets.ISO_8859_1), Activations.EVICT, null);
                }
                c.view().evictions.incrementAndGet();
                over--;
            }
        } finally {
            evicting.set(0);
        }
    }

    /** @return per partial view, what it did here */
    public Map<String, Stats> stats() {
        Map<String, Stats> out = new java.util.TreeMap<>();
        views.forEach((name, v) -> {
            synchronized (v) {
                out.put(name, new Stats(v.count.get(), v.activations.get(), v.evictions.get(), v.backfills.get(),
                        v.backfillMsTotal, v.backfillMsMax));
            }
        });
        return out;
    }

    @Override
    public void close() {
        synchronized (producerLock) {
            if (producer != null) {
                producer.close(java.time.Duration.ofSeconds(5));
                producer = null;
            }
        }
    }

    /** A range that may be evicted, and when it was last read. */
    private record Candidate(View view, String key, Range range, long lastRead) {
    }

    private static final class View {
        final String topic;
        final PartialRange range;
        final Map<String, Range> ranges = new ConcurrentHashMap<>();
        final AtomicLong activations = new AtomicLong();
        /** Ranges complete here. */
        final AtomicLong count = new AtomicLong();
        final AtomicLong evictions = new AtomicLong();
        final AtomicLong backfills = new AtomicLong();
        double backfillMsTotal;
        double backfillMsMax;

        View(String topic, PartialRange range) {
            this.topic = topic;
            this.range = range;
        }
    }

    /** One range's state here; guarded by itself. */
    private static final class Range {
        boolean complete;
        long completedEpoch = -1;
        /** The offset of the activation a read waits for (MAX_VALUE until the log acknowledged it). */
        long requested = Long.MAX_VALUE;
        CompletableFuture<Void> pending;
        long started;
        volatile long lastRead = System.nanoTime();
        final Map<Long, List<Integer>> marks = new HashMap<>();
    }
}
