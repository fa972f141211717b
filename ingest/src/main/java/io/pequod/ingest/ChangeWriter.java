package io.pequod.ingest;

import io.pequod.schemas.ChangeSerde;
import io.pequod.schemas.Changes;
import io.pequod.schemas.Expiry;
import io.pequod.schemas.InvalidKeyException;
import io.pequod.schemas.InvalidValueException;
import io.pequod.schemas.Key;
import io.pequod.schemas.PartitionRule;
import io.pequod.schemas.PequodException;
import io.pequod.schemas.SchemaRegistryClient;
import io.pequod.schemas.TablePartitioner;
import io.pequod.schemas.TableTopics;
import io.pequod.schemas.WritePosition;
import io.pequod.schemas.avro.Change;
import io.pequod.schemas.avro.Operation;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * Writes changes to Pequod tables: put, erase, increment, append and prepend of single keys.
 *
 * <p>Each call validates its input (key length and table name, value size, numeric amounts) and
 * throws a {@link PequodException} naming the key before anything is sent; it then returns a future
 * of the write's {@link WritePosition}. Records go to the table topic {@code <ns>.<table>}, created
 * on first use (log-compacted, {@link Builder#partitions(int)} partitions), keyed by the full key and
 * partitioned by its partition key ({@link PartitionRule}); the first write to a new table waits for its
 * topic. Writes of one thread keep their order. Values are Avro {@link Change} records
 * in the Confluent wire format, erase is a tombstone. The underlying producer batches
 * (lz4, {@code linger.ms=5}, 128 KiB batches) and is idempotent with {@code acks=all}.
 *
 * <p>Thread-safe: share one writer per process.
 */
public final class ChangeWriter implements AutoCloseable {
    private static final Duration TOPIC_TIMEOUT = Duration.ofSeconds(60);

    private final TableTopics topics;
    private final KafkaProducer<byte[], byte[]> producer;
    private final ChangeSerde.ChangeSerializer serializer;
    private final TopicCreator creator;
    private final Predicate<String> readOnlyTables;
    private final Predicate<String> sourceTables;
    private final Map<String, String> topicByTable = new ConcurrentHashMap<>();
    /** Writes that failed since the last {@link #flush}, and the first of them. */
    private final AtomicLong failedSinceFlush = new AtomicLong();
    private final AtomicReference<WriteFailedException> firstFailure = new AtomicReference<>();

    private ChangeWriter(Builder b) {
        this.topics = TableTopics.of(b.namespace);
        this.readOnlyTables = b.readOnlyTables;
        this.sourceTables = b.sourceTables;
        this.producer = new KafkaProducer<>(producerConfig(b), new ByteArraySerializer(), new ByteArraySerializer());
        this.serializer = new ChangeSerde.ChangeSerializer(SchemaRegistryClient.shared(b.schemaRegistryUrl));
        this.creator = new TopicCreator(b.bootstrapServers, b.partitions, b.adminConfig);
    }

    /** @return a builder; bootstrap servers and registry URL are required */
    public static Builder builder() {
        return new Builder();
    }

    static Map<String, Object> producerConfig(Builder b) {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, b.bootstrapServers);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, 128 * 1024);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, TableTopics.MAX_RECORD_BYTES); // values up to 64 MiB
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 2L * TableTopics.MAX_RECORD_BYTES);
        p.put(ProducerConfig.PARTITIONER_CLASS_CONFIG, TablePartitioner.class.getName());
        p.put(TablePartitioner.FIXED_WIDTHS_CONFIG, b.partitionRule.format());
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "pequod-writer-" + b.namespace);
        p.putAll(b.producerConfig);
        return p;
    }

    /** @return the topic names of this writer's namespace */
    public TableTopics topics() {
        return topics;
    }

    /**
     * @param key   the key (cannot be {@code null})
     * @param value the value (cannot be {@code null})
     * @return the write's position once acknowledged
     * @throws PequodException if the key or value is invalid
     */
    public CompletableFuture<WritePosition> put(String key, String value) {
        return put(utf8(key), utf8(value));
    }

    /**
     * @param key   the key's bytes (cannot be {@code null})
     * @param value the value's bytes (cannot be {@code null})
     * @return the write's position once acknowledged
     * @throws PequodException if the key or value is invalid
     */
    public CompletableFuture<WritePosition> put(byte[] key, byte[] value) {
        return write(key, Operation.PUT, value);
    }

    /**
     * @param key the key to erase (cannot be {@code null})
     * @return the position of the tombstone once acknowledged
     * @throws PequodException if the key is invalid
     */
    public CompletableFuture<WritePosition> erase(String key) {
        return erase(utf8(key));
    }

    /**
     * @param key the key to erase (cannot be {@code null})
     * @return the position of the tombstone once acknowledged
     * @throws PequodException if the key is invalid
     */
    public CompletableFuture<WritePosition> erase(byte[] key) {
        return send(checkKey(key), key, null);
    }

    /**
     * Adds {@code amount} to the integer at {@code key} (absent counts as 0), in log order.
     *
     * @param key    the key (cannot be {@code null})
     * @param amount the amount, negative to decrement
     * @return the write's position once acknowledged
     */
    public CompletableFuture<WritePosition> increment(String key, long amount) {
        return write(utf8(key), Operation.INCR, Long.toString(amount).getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * Adds {@code amount} to the decimal number at {@code key} (absent counts as 0), in log order.
     *
     * @param key    the key (cannot be {@code null})
     * @param amount the amount as decimal text, e.g. {@code "1.5"} (cannot be {@code null})
     * @return the write's position once acknowledged
     * @throws InvalidValueException if {@code amount} is not a number
     */
    public CompletableFuture<WritePosition> incrementFloat(String key, String amount) {
        try {
            new BigDecimal(amount.trim());
        } catch (NumberFormatException e) {
            throw new InvalidValueException("increment '" + amount + "' for key '" + key + "' is not a number");
        }
        return write(utf8(key), Operation.INCRF, utf8(amount.trim()));
    }

    /**
     * @param key   the key (cannot be {@code null})
     * @param value bytes to add at the end (cannot be {@code null})
     * @return the write's position once acknowledged
     */
    public CompletableFuture<WritePosition> append(String key, String value) {
        return write(utf8(key), Operation.APPEND, utf8(value));
    }

    /**
     * @param key   the key (cannot be {@code null})
     * @param value bytes to add at the start (cannot be {@code null})
     * @return the write's position once acknowledged
     */
    public CompletableFuture<WritePosition> prepend(String key, String value) {
        return write(utf8(key), Operation.PREPEND, utf8(value));
    }

    /**
     * Writes one change.
     *
     * @param key   the key (cannot be {@code null})
     * @param op    the operation (cannot be {@code null})
     * @param value the value or amount (cannot be {@code null})
     * @return the write's position once acknowledged
     * @throws PequodException if the key or value is invalid
     */
    public CompletableFuture<WritePosition> write(byte[] key, Operation op, byte[] value) {
        return write(key, op, value, null);
    }

    /**
     * Writes one change with a request id, which the table's owner reports with the result.
     *
     * @param key       the key (cannot be {@code null})
     * @param op        the operation (cannot be {@code null})
     * @param value     the value or amount (cannot be {@code null})
     * @param requestId the request id, or {@code null}
     * @return the write's position once acknowledged
     * @throws PequodException if the key or value is invalid
     */
    public CompletableFuture<WritePosition> write(byte[] key, Operation op, byte[] value, String requestId) {
        return write(key, op, value, requestId, Expiry.NONE);
    }

    /**
     * Writes one change with a request id and what it says of the key's expiry.
     *
     * @param key       the key (cannot be {@code null})
     * @param op        the operation (cannot be {@code null})
     * @param value     the value or amount (cannot be {@code null})
     * @param requestId the request id, or {@code null}
     * @param expiry    the expiry to set or keep ({@link Expiry#NONE}: nothing)
     * @return the write's position once acknowledged
     * @throws PequodException if the key or value is invalid
     */
    public CompletableFuture<WritePosition> write(byte[] key, Operation op, byte[] value, String requestId, Expiry expiry) {
        Objects.requireNonNull(op, "op cannot be null");
        Objects.requireNonNull(value, "value cannot be null");
        String topic = checkKey(key);
        if (value.length > Key.MAX_VALUE_LENGTH) {
            throw new InvalidValueException("value for key '" + new String(key, StandardCharsets.UTF_8) + "' is "
                    + value.length + " bytes; the limit is " + Key.MAX_VALUE_LENGTH);
        }
        if (op == Operation.INCR) {
            Changes.parseLong(key, value, "increment");
        }
        Change change = Changes.of(op, value);
        if (requestId != null) {
            change.setRequestId(requestId);
        }
        change.setExpireAt(expiry.at());
        change.setKeepTtl(expiry.keep());
        return send(topic, key, change);
    }

    /** Validates the key and returns its table topic. */
    private String checkKey(byte[] key) {
        Objects.requireNonNull(key, "key cannot be null");
        String problem = Key.validate(key);
        if (problem != null) {
            throw new InvalidKeyException(problem);
        }
        String table = Key.tableOf(key);
        String topic = topicByTable.get(table);
        if (topic != null) {
            return topic;
        }
        if (readOnlyTables.test(table)) {
            throw new InvalidKeyException("key '" + new String(key, StandardCharsets.UTF_8) + "' is in view table '" + table
                    + "', which only its joins write; write to the view's source tables instead");
        }
        if (sourceTables.test(table)) {
            throw new InvalidKeyException("key '" + new String(key, StandardCharsets.UTF_8) + "' is in table '" + table
                    + "', which only its declared source (a Kafka topic of yours) feeds; write to that topic instead");
        }
        if (topics.tableOf(topics.tableTopic(table)).isEmpty()) {
            throw new InvalidKeyException("key '" + new String(key, StandardCharsets.UTF_8) + "' uses reserved table name '"
                    + table + "'");
        }
        topic = topics.tableTopic(table);
        topicByTable.put(table, topic);
        return topic;
    }

    private CompletableFuture<WritePosition> send(String topic, byte[] key, Change change) {
        CompletableFuture<Void> ready = creator.ensure(topic);
        if (!ready.isDone()) {
            // First write to a new table: wait for its topic, so that one thread's writes keep their order.
            try {
                ready.get(TOPIC_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new WriteFailedException("Interrupted while creating topic " + topic, e);
            } catch (ExecutionException | TimeoutException e) {
                // reported through the future below
            }
        }
        if (ready.isCompletedExceptionally() || !ready.isDone()) {
            return ready.isDone() ? ready.thenApply(v -> (WritePosition) null)
                    : CompletableFuture.failedFuture(new WriteFailedException("Topic " + topic + " was not created within "
                    + TOPIC_TIMEOUT.toSeconds() + " s", null));
        }
        return sendNow(topic, key, change);
    }

    private CompletableFuture<WritePosition> sendNow(String topic, byte[] key, Change change) {
        CompletableFuture<WritePosition> f = new CompletableFuture<>();
        byte[] value;
        try {
            value = change == null ? null : serializer.serialize(topic, change);
        } catch (RuntimeException e) {
            f.completeExceptionally(e);
            return f;
        }
        producer.send(new ProducerRecord<>(topic, key, value), (md, e) -> {
            if (e != null) {
                // The producer has already retried what Kafka calls retriable, up to delivery.timeout.ms.
                WriteFailedException failure = new WriteFailedException("Write of key '" + new String(key, StandardCharsets.UTF_8)
                        + "' to " + topic + " failed: " + e.getMessage(), e);
                failedSinceFlush.incrementAndGet();
                firstFailure.compareAndSet(null, failure);
                f.completeExceptionally(failure);
            } else {
                f.complete(new WritePosition(md.topic(), md.partition(), md.offset()));
            }
        });
        return f;
    }

    /**
     * Sends everything written so far and waits for the acknowledgements, so that a loader that
     * does not look at each write's future still learns of a lost one.
     *
     * @throws WriteFailedException if a write since the previous flush failed: naming the first
     *                              failed key, its topic and Kafka's error, and how many failed
     */
    public void flush() {
        producer.flush();
        long failed = failedSinceFlush.getAndSet(0);
        WriteFailedException first = firstFailure.getAndSet(null);
        if (failed > 0 && first != null) {
            throw new WriteFailedException(failed + " write(s) failed since the last flush; the first: " + first.getMessage(),
                    first.getCause());
        }
    }

    /** Flushes and closes the producer and the admin client. */
    @Override
    public void close() {
        try {
            producer.close(Duration.ofSeconds(30));
        } finally {
            creator.close();
        }
    }

    private static byte[] utf8(String s) {
        return Objects.requireNonNull(s, "key and value cannot be null").getBytes(StandardCharsets.UTF_8);
    }

    /** Builder of {@link ChangeWriter}. */
    public static final class Builder {
        private String bootstrapServers;
        private String schemaRegistryUrl;
        private String namespace = TableTopics.DEFAULT_NAMESPACE;
        private int partitions = TopicCreator.DEFAULT_PARTITIONS;
        private PartitionRule partitionRule = PartitionRule.standard();
        private Predicate<String> readOnlyTables = t -> false;
        private Predicate<String> sourceTables = t -> false;
        private final Map<String, Object> producerConfig = new HashMap<>();
        private final Map<String, Object> adminConfig = new HashMap<>();

        private Builder() {
        }

        /**
         * @param servers Kafka bootstrap servers (cannot be {@code null})
         * @return this builder
         */
        public Builder bootstrapServers(String servers) {
            this.bootstrapServers = Objects.requireNonNull(servers, "servers cannot be null");
            return this;
        }

        /**
         * @param url the Confluent-compatible schema registry URL (cannot be {@code null})
         * @return this builder
         */
        public Builder schemaRegistryUrl(String url) {
            this.schemaRegistryUrl = Objects.requireNonNull(url, "url cannot be null");
            return this;
        }

        /**
         * @param ns the namespace, prefix of every topic (default {@value TableTopics#DEFAULT_NAMESPACE})
         * @return this builder
         */
        public Builder namespace(String ns) {
            TableTopics.of(ns);
            this.namespace = ns;
            return this;
        }

        /**
         * @param n partition count of table topics this writer creates (default 8)
         * @return this builder
         */
        public Builder partitions(int n) {
            if (n < 1 || n > 10_000) {
                throw new IllegalArgumentException("Invalid value " + n + " for partitions: must be between 1 and 10000");
            }
            this.partitions = n;
            return this;
        }

        /**
         * @param rule the partitioning rule, when tables have fixed-width first fields (cannot be {@code null})
         * @return this builder
         */
        public Builder partitionRule(PartitionRule rule) {
            this.partitionRule = Objects.requireNonNull(rule, "rule cannot be null");
            return this;
        }

        /**
         * @param tables view tables, which users may not write (cannot be {@code null})
         * @return this builder
         */
        public Builder readOnlyTables(Set<String> tables) {
            Set<String> copy = Set.copyOf(tables);
            this.readOnlyTables = copy::contains;
            return this;
        }

        /**
         * @param isView whether a table is a view table, which users may not write (asked when a
         *               table is first written; for views installed while the writer runs)
         * @return this builder
         */
        public Builder readOnlyTables(Predicate<String> isView) {
            this.readOnlyTables = Objects.requireNonNull(isView, "isView cannot be null");
            return this;
        }

        /**
         * @param isFedBySource whether a table is fed by a declared source, so users may not write
         *                      it (asked when a table is first written)
         * @return this builder
         */
        public Builder sourceTables(Predicate<String> isFedBySource) {
            this.sourceTables = Objects.requireNonNull(isFedBySource, "isFedBySource cannot be null");
            return this;
        }

        /**
         * @param name  a Kafka producer setting, overriding the writer's defaults
         * @param value its value
         * @return this builder
         */
        public Builder producerConfig(String name, Object value) {
            producerConfig.put(Objects.requireNonNull(name, "name cannot be null"), value);
            return this;
        }

        /**
         * @param name  a Kafka admin client setting (for topic creation)
         * @param value its value
         * @return this builder
         */
        public Builder adminConfig(String name, Object value) {
            adminConfig.put(Objects.requireNonNull(name, "name cannot be null"), value);
            return this;
        }

        /**
         * @return the writer
         * @throws IllegalStateException naming what is missing
         */
        public ChangeWriter build() {
            StringBuilder missing = new StringBuilder();
            if (bootstrapServers == null) {
                missing.append(" bootstrapServers");
            }
            if (schemaRegistryUrl == null) {
                missing.append(" schemaRegistryUrl");
            }
            if (missing.length() > 0) {
                throw new IllegalStateException("ChangeWriter needs" + missing);
            }
            adminConfig.putIfAbsent("bootstrap.servers", bootstrapServers);
            return new ChangeWriter(this);
        }
    }
}
