package io.pequod.apps.bench;

import io.pequod.schemas.ChangeSerde;
import io.pequod.schemas.Changes;
import io.pequod.schemas.SchemaRegistryClient;
import io.pequod.schemas.avro.Change;
import io.pequod.schemas.avro.Operation;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Both DSL versions of the timeline give the rows of the join evaluated by hand, follows and posts coming and going. */
class DslTimelineTest {
    @ParameterizedTest
    @EnumSource(DslTimeline.Variant.class)
    void timelineEqualsTheJoinEvaluatedByHand(DslTimeline.Variant variant) throws Exception {
        SchemaRegistryClient registry = SchemaRegistryClient.shared("mem://" + UUID.randomUUID());
        ChangeSerde serde = new ChangeSerde(registry);
        Map<String, Boolean> reported = new TreeMap<>();
        Path dir = Files.createTempDirectory("dsl-timeline-test");
        try (JoinBenchmark.TempDir deleting = new JoinBenchmark.TempDir(dir);
             TopologyTestDriver d = new TopologyTestDriver(
                     DslTimeline.topology("ns", serde, variant, 4, reported::put),
                     DslTimeline.settings("dsl-test", "unused:9092", dir.toString(), 0, Map.of()))) {
            TestInputTopic<String, Change> s = d.createInputTopic("ns.s", new StringSerializer(), serde.serializer());
            TestInputTopic<String, Change> p = d.createInputTopic("ns.p", new StringSerializer(), serde.serializer());
            Map<String, String> follows = new TreeMap<>();
            Map<String, String> posts = new TreeMap<>();
            Random rnd = new Random(3);
            for (int i = 0; i < 600; i++) {
                int a = rnd.nextInt(8);
                int b = rnd.nextInt(8);
                boolean erase = rnd.nextInt(4) == 0;
                if (rnd.nextBoolean()) {
                    String key = TwitterData.s(a, b);
                    write(s, follows, key, erase ? null : "1");
                } else {
                    String key = TwitterData.p(a, 1000 + rnd.nextInt(20));
                    write(p, posts, key, erase ? null : "post " + i);
                }
            }
            Map<String, String> expected = new TreeMap<>();
            follows.keySet().forEach(f -> posts.forEach((post, text) -> {
                if (DslTimeline.field(f, 2).equals(DslTimeline.field(post, 1))) {
                    expected.put(DslTimeline.row(DslTimeline.field(f, 1), DslTimeline.field(post, 2), DslTimeline.field(post, 1)), text);
                }
            }));
            KeyValueStore<String, Object> store = d.getKeyValueStore(DslTimeline.STORE);
            Map<String, String> actual = new TreeMap<>();
            try (KeyValueIterator<String, Object> it = store.all()) {
                it.forEachRemaining(kv -> actual.put(kv.key, String.valueOf(kv.value)));
            }
            assertTrue(expected.size() > 20, "the data should make a timeline: " + expected.size());
            assertEquals(expected, actual);
            assertTrue(d.producedTopicNames().contains(DslTimeline.rowsTopic("ns", variant)), "rows go to their topic: " + d.producedTopicNames());
            assertTrue(d.producedTopicNames().stream().noneMatch(t -> t.contains(DslTimeline.STORE)),
                    "and that topic is the timeline store's changelog (no second write): " + d.producedTopicNames());
            reported.values().removeIf(live -> !live);
            assertEquals(expected.keySet(), reported.keySet(), "the rows last reported present");
        }
    }

    private static void write(TestInputTopic<String, Change> topic, Map<String, String> model, String key, String value) {
        if (value == null) {
            model.remove(key);
            topic.pipeInput(key, null);
        } else {
            model.put(key, value);
            topic.pipeInput(key, Changes.of(Operation.PUT, value.getBytes(StandardCharsets.UTF_8)));
        }
    }
}
