package io.pequod.views.internals.processor;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A view's failing record is dead-lettered with the view named, and processing goes on; a table owner's failure still stops. */
class ViewFailuresTest {
    @Test
    void namesTheViewOfAProcessor() {
        assertEquals("t", ViewFailures.view("t-j0-step1-join", "ns-tables2"));
        assertEquals("followers", ViewFailures.view("followers-stamp", "ns-tables2-ab12cd34"));
        assertEquals("t", ViewFailures.view("j1-aggregate", "ns-view-t-1a2b3c4d-g2"));
        assertNull(ViewFailures.view("materialize-s", "ns-tables2"), "a table's owner");
        assertNull(ViewFailures.view("dead-letters-s", "ns-tables2"));
    }

    private static TopologyTestDriver driver(String failingProcessor, AtomicLong deadLetters) {
        StreamsBuilder b = new StreamsBuilder();
        KStream<String, String> in = b.stream("in", Consumed.with(Serdes.String(), Serdes.String()));
        in.processValues(() -> new FixedKeyProcessor<String, String, String>() {
            private FixedKeyProcessorContext<String, String> ctx;

            @Override
            public void init(FixedKeyProcessorContext<String, String> c) {
                ctx = c;
            }

            @Override
            public void process(FixedKeyRecord<String, String> r) {
                if (r.value().equals("bad")) {
                    throw new IllegalStateException("cannot join " + r.key());
                }
                ctx.forward(r);
            }
        }, Named.as(failingProcessor)).to("out", Produced.with(Serdes.String(), Serdes.String()));
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "ns-tables2");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, ViewFailures.class);
        p.put(ViewFailures.DEAD_LETTER_TOPIC, "ns.dead-letters");
        p.put(ViewFailures.COUNTER, "test-" + failingProcessor);
        ViewFailures.register("test-" + failingProcessor, deadLetters);
        return new TopologyTestDriver(b.build(), p);
    }

    @Test
    void deadLettersAViewsFailingRecordAndGoesOn() {
        AtomicLong count = new AtomicLong();
        try (TopologyTestDriver d = driver("sm-j0-aggregate", count)) {
            TestInputTopic<String, String> in = d.createInputTopic("in", Serdes.String().serializer(), Serdes.String().serializer());
            TestOutputTopic<String, String> out = d.createOutputTopic("out", Serdes.String().deserializer(), Serdes.String().deserializer());
            TestOutputTopic<byte[], byte[]> dlq = d.createOutputTopic("ns.dead-letters", Serdes.ByteArray().deserializer(),
                    Serdes.ByteArray().deserializer());
            in.pipeInput("v|a|1", "5");
            in.pipeInput("v|a|2", "bad");
            in.pipeInput("v|a|3", "7");
            assertEquals(List.of("5", "7"), out.readValuesToList(), "the records after it are processed");
            List<TestRecord<byte[], byte[]>> dead = dlq.readRecordsToList();
            assertEquals(1, dead.size());
            assertEquals("v|a|2", new String(dead.get(0).key(), StandardCharsets.UTF_8));
            assertEquals("bad", new String(dead.get(0).value(), StandardCharsets.UTF_8));
            String reason = new String(dead.get(0).headers().lastHeader(DeadLetter.REASON).value(), StandardCharsets.UTF_8);
            assertTrue(reason.startsWith("view sm could not process a record") && reason.contains("cannot join v|a|2"), reason);
            assertEquals("in", new String(dead.get(0).headers().lastHeader(DeadLetter.TOPIC).value(), StandardCharsets.UTF_8));
            assertEquals(1, count.get());
        }
    }

    @Test
    void aTableOwnersFailureStillStops() {
        try (TopologyTestDriver d = driver("materialize-v", new AtomicLong())) {
            TestInputTopic<String, String> in = d.createInputTopic("in", Serdes.String().serializer(), Serdes.String().serializer());
            assertThrows(RuntimeException.class, () -> in.pipeInput("v|a|2", "bad"));
        }
    }
}
