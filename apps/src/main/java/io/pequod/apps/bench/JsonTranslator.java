package io.pequod.apps.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

/**
 * The anchor a user without sources would write: a hand-made Kafka Streams translator from the
 * benchmark's JSON topic to a topic of {@code table|user|item} keys and text values, exactly once,
 * with the source's settings: the engine's commit interval, linger and batch size, one producer
 * request in flight (more makes the broker log refused out-of-order batches under transactions v2). It does what a source does up to the
 * table topic (parse, build the key, write), minus Pequod's wire format and the table it feeds.
 */
final class JsonTranslator {
    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonTranslator() {
    }

    /**
     * @param appId     the application id (the consumer group)
     * @param bootstrap bootstrap servers
     * @param stateDir  a state directory of its own
     * @param from      the JSON topic
     * @param to        the output topic (exists)
     * @param table     the keys' table name
     * @return the application, not started
     */
    static KafkaStreams create(String appId, String bootstrap, Path stateDir, String from, String to, String table) {
        StreamsBuilder b = new StreamsBuilder();
        b.stream(from, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
                .map((k, v) -> {
                    JsonNode row = parse(v);
                    String key = String.format("%s|%08d|%010d", table, row.path("user").asLong(), row.path("item").asLong());
                    return KeyValue.pair(key, row.path("v").asText());
                })
                .to(to, Produced.with(Serdes.String(), Serdes.String()));
        Properties p = new Properties();
        p.putAll(Map.of(StreamsConfig.APPLICATION_ID_CONFIG, appId,
                StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                StreamsConfig.STATE_DIR_CONFIG, stateDir.toString(),
                StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2,
                StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 1000,
                StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest",
                StreamsConfig.consumerPrefix("fetch.max.wait.ms"), 100,
                StreamsConfig.producerPrefix("linger.ms"), 5,
                StreamsConfig.producerPrefix("batch.size"), 128 * 1024,
                StreamsConfig.producerPrefix("max.in.flight.requests.per.connection"), 1));
        return new KafkaStreams(b.build(), p);
    }

    private static JsonNode parse(byte[] v) {
        try {
            return JSON.readTree(v);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
