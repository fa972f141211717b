package io.pequod.apps.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pequod.embedded.Files2;
import io.pequod.ingest.Progress;
import io.pequod.schemas.TopicsReady;
import io.pequod.server.AllInOne;
import io.pequod.views.ViewEngine;
import io.pequod.views.progress.SourceStatus;
import io.pequod.views.spec.JoinSpec;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * {@code bench sources}: ingestion of a JSON topic into a table through a declared source, and
 * on into a count view over it, against the plain producer's rate of writing the same records, in
 * one run on the embedded broker. Each round writes fresh records to a fresh topic with a plain
 * {@code KafkaProducer} (timed: the anchor, with {@code bench write}'s producer settings), runs a
 * hand-written exactly-once Streams translator over it ({@link JsonTranslator}, the second anchor:
 * what Kafka Streams itself does with these records here), then installs a source over that topic
 * and times how long until every record is in the table topic (the source's consumer group, read
 * by the benchmark's own admin client, has committed the topic's end) and readable in the table
 * (its count equals the records); then installs a second source over the same topic with a count
 * view and times how long until the view counts every record. The translator's and the source's
 * rates count from the moment their application is running; the source's start (install to
 * running) is reported apart. The view's rate counts from its install.
 */
public final class SourceBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final int records;
    private final int rounds;
    private final int partitions;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /**
     * @param records    records per round
     * @param rounds     rounds
     * @param partitions partitions of the source topic
     */
    public SourceBenchmark(int records, int rounds, int partitions) {
        this.records = records;
        this.rounds = rounds;
        this.partitions = partitions;
    }

    /**
     * @return the figures, as JSON
     * @throws Exception if anything fails or times out
     */
    public ObjectNode run() throws Exception {
        List<Double> producer = new ArrayList<>();
        List<Double> tableTopic = new ArrayList<>();
        List<Double> table = new ArrayList<>();
        List<Double> view = new ArrayList<>();
        List<Double> start = new ArrayList<>();
        List<Double> translator = new ArrayList<>();
        try (AllInOne all = AllInOne.start("benchsrc", JoinSpec.empty(), Set.of())) {
            for (int r = 1; r <= rounds; r++) {
                double[] rates = round(all, r);
                producer.add(rates[0]);
                tableTopic.add(rates[1]);
                table.add(rates[2]);
                view.add(rates[3]);
                start.add(rates[4]);
                translator.add(rates[5]);
            }
        }
        ObjectNode o = JSON.createObjectNode();
        o.put("benchmark", "sources").put("records", records).put("rounds", rounds).put("partitions", partitions)
                .put("format", "json").put("broker", "embedded");
        o.set("plain_producer_records_per_sec", rates(producer));
        o.set("hand_written_translator_records_per_sec", rates(translator));
        o.set("source_to_table_topic_records_per_sec", rates(tableTopic));
        o.set("source_to_readable_table_records_per_sec", rates(table));
        o.set("source_to_count_view_records_per_sec", rates(view));
        o.put("source_start_seconds_median", Math.round(median(start) * 100) / 100.0);
        o.put("ratio_table_topic_to_producer", Math.round(median(tableTopic) / median(producer) * 1000) / 1000.0);
        o.put("ratio_table_topic_to_translator", Math.round(median(tableTopic) / median(translator) * 1000) / 1000.0);
        o.put("ratio_readable_table_to_producer", Math.round(median(table) / median(producer) * 1000) / 1000.0);
        o.put("ratio_view_to_producer", Math.round(median(view) / median(producer) * 1000) / 1000.0);
        return o;
    }

    private double[] round(AllInOne all, int r) throws Exception {
        String topic = "bench-json-" + r;
        String bootstrap = all.runtime().bootstrapServers();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
            TopicsReady.await(admin, List.of(topic)).get();
        }
        Random rnd = new Random(r);
        byte[][] values = new byte[records][];
        for (int i = 0; i < records; i++) {
            values[i] = ("{\"user\":" + rnd.nextInt(5000) + ",\"item\":" + i + ",\"v\":\"" + Long.toHexString(rnd.nextLong())
                    + "\"}").getBytes(StandardCharsets.UTF_8);
        }
        double produced = produce(bootstrap, topic, values, "round " + r);
        double translated = translate(bootstrap, topic, r);
        ViewEngine engine = all.server().engine();
        // Into a table alone, then (a second source over the same records) into a count view.
        String t = "ja" + r;
        long t0 = System.nanoTime();
        engine.install("bench-sources-" + r + "a.pq", source(t, topic));
        long deadline = t0 + Duration.ofMinutes(10).toNanos();
        Progress bar = new Progress(System.err, "bench sources round " + r + " into a table", "records", records, true);
        long[] times = awaitCommitted(bootstrap, application(engine, t), () -> "RUNNING".equals(state(engine, t)), bar, deadline);
        long tRunning = times[0];
        long tTopic = times[1];
        while (get(all.url(), "/v1/count?first=" + enc(t + "|") + "&last=" + enc(t + "}")) != records) {
            checkDeadline(deadline, "table " + t + " to hold every record");
            Thread.sleep(100);
        }
        long tTable = System.nanoTime();
        bar.finish(records, records);
        String v = "jb" + r;
        long t1 = System.nanoTime();
        engine.install("bench-sources-" + r + "b.pq", source(v, topic) + "n" + v + "|<user> = count " + v
                + "|<user>|<item> where user:8, item:10\n");
        bar = new Progress(System.err, "bench sources round " + r + " into a count view", "records", records, true);
        while (viewTotal(all.url(), "n" + v) != records) {
            checkDeadline(t1 + Duration.ofMinutes(10).toNanos(), "view n" + v + " to count every record");
            Thread.sleep(100);
        }
        long tView = System.nanoTime();
        bar.finish(records, records);
        return new double[] {produced, records / ((tTopic - tRunning) / 1e9), records / ((tTable - tRunning) / 1e9),
            records / ((tView - t1) / 1e9), (tRunning - t0) / 1e9, translated};
    }

    /** @return the records/s of the hand-written translator ({@link JsonTranslator}) over the topic, from when it runs */
    private double translate(String bootstrap, String topic, int r) throws Exception {
        String out = "bench-translated-" + r;
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            admin.createTopics(List.of(new NewTopic(out, partitions, (short) 1))).all().get();
            TopicsReady.await(admin, List.of(out)).get();
        }
        Path dir = Files.createTempDirectory("bench-translator");
        String app = "bench-translator-" + r;
        try (KafkaStreams ks = JsonTranslator.create(app, bootstrap, dir, topic, out, "jt" + r)) {
            ks.start();
            Progress bar = new Progress(System.err, "bench sources round " + r + " hand-written translator", "records", records, true);
            long[] times = awaitCommitted(bootstrap, app, () -> ks.state() == KafkaStreams.State.RUNNING, bar,
                    System.nanoTime() + Duration.ofMinutes(10).toNanos());
            bar.finish(records, records);
            return records / ((times[1] - times[0]) / 1e9);
        } finally {
            Files2.deleteRecursively(dir);
        }
    }

    /**
     * Waits until a consumer group has committed every record of the round's topic.
     *
     * @return when the application was first seen running, and when the last record was committed (nanoTime)
     */
    private long[] awaitCommitted(String bootstrap, String group, BooleanSupplier running, Progress bar, long deadline)
            throws Exception {
        long start = System.nanoTime();
        long tRunning = 0;
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            long applied = 0;
            while (applied < records) {
                checkDeadline(deadline, group + " to reach the end of its topic");
                if (tRunning == 0 && running.getAsBoolean()) {
                    tRunning = System.nanoTime();
                }
                Thread.sleep(20);
                applied = committed(admin, group);
                bar.update(applied, applied);
            }
        }
        return new long[] {tRunning == 0 ? start : tRunning, System.nanoTime()};
    }

    private static String source(String table, String topic) {
        return "source " + table + " from topic '" + topic + "' format json key '" + table + "|{user:08}|{item:010}' value '{v}'\n";
    }

    private static double produce(String bootstrap, String topic, byte[][] values, String label) {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(WriteBenchmark.producerSettings(bootstrap),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            return WriteBenchmark.roundOfProducer(producer, topic, new byte[values.length][], values,
                    "sources " + label + " plain producer");
        }
    }

    private static String application(ViewEngine engine, String table) {
        return status(engine, table).application();
    }

    private static String state(ViewEngine engine, String table) {
        return status(engine, table).state();
    }

    private static SourceStatus status(ViewEngine engine, String table) {
        return engine.sources().stream().filter(s -> s.table().equals(table)).findFirst()
                .orElseThrow(() -> new IllegalStateException("no source for table " + table));
    }

    /** @return records the group has committed (the source topic's offsets start at 0, no transactions) */
    private static long committed(Admin admin, String group) throws Exception {
        return admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().values().stream()
                .filter(o -> o != null).mapToLong(OffsetAndMetadata::offset).sum();
    }

    /** @return the view's total count, or -1 while it is moving (503, waited out by the caller) */
    private long viewTotal(String url, String view) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url + "/v1/scan?limit=10000&first=" + enc(view + "|")
                + "&last=" + enc(view + "}"))).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 503) {
            return -1;
        }
        if (r.statusCode() != 200) {
            throw new IllegalStateException("scan of " + view + " answered " + r.statusCode() + ": " + r.body());
        }
        long n = 0;
        for (JsonNode e : JSON.readTree(r.body()).path("entries")) {
            n += Long.parseLong(e.path("value").asText());
        }
        return n;
    }

    /** @return the count answered, or -1 while the table is moving (503: a rebalance, which the caller waits out) */
    private long get(String url, String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url + path)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 503) {
            return -1;
        }
        if (r.statusCode() != 200) {
            throw new IllegalStateException(path + " answered " + r.statusCode() + ": " + r.body());
        }
        return JSON.readTree(r.body()).path("count").asLong();
    }

    private static void checkDeadline(long deadline, String what) throws TimeoutException {
        if (System.nanoTime() > deadline) {
            throw new TimeoutException("bench sources: gave up waiting 10 minutes for " + what);
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static ObjectNode rates(List<Double> xs) {
        ObjectNode o = JSON.createObjectNode();
        o.put("median", Math.round(median(xs)));
        o.put("best", Math.round(Collections.max(xs)));
        ArrayNode all = o.putArray("rounds");
        xs.forEach(x -> all.add(Math.round(x)));
        return o;
    }

    private static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        return s.get(s.size() / 2);
    }
}
