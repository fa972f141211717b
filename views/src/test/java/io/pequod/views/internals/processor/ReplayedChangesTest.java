package io.pequod.views.internals.processor;

import io.pequod.schemas.ChangeSerde;
import io.pequod.schemas.Changes;
import io.pequod.schemas.SchemaRegistryClient;
import io.pequod.schemas.avro.Change;
import io.pequod.schemas.avro.Operation;
import io.pequod.views.progress.StoreProgress;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The owner's replay rule: after a crash at least once, the input is read again from the last
 * committed offset while the store (restored from its changelog) already holds the effect of
 * later changes; each value carries the offset of the change that made it, and a read-modify-write
 * at or below it is skipped. Offsets here are set by hand as the consumer would see them.
 */
class ReplayedChangesTest {
    private static final String TOPIC = "ns.kv";
    private final SchemaRegistryClient registry = SchemaRegistryClient.shared("mem://" + UUID.randomUUID());
    private final ChangeSerde serde = new ChangeSerde(registry);
    private MockProcessorContext<byte[], SourceOutput> context;
    private KeyValueStore<Bytes, byte[]> store;
    private TableSourceProcessor owner;

    @BeforeEach
    void setUp() {
        context = new MockProcessorContext<>();
        store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("table-kv"), Serdes.Bytes(), Serdes.ByteArray())
                .withLoggingDisabled().build();
        store.init(context.getStateStoreContext(), store);
        context.addStateStore(store);
        owner = new TableSourceProcessor("table-kv", registry, false, new AtomicLong(), new StoreProgress());
        owner.init(context);
    }

    private void apply(long offset, String key, Operation op, String value) {
        context.setRecordMetadata(TOPIC, 0, offset);
        Change c = Changes.of(op, value == null ? null : value.getBytes(StandardCharsets.UTF_8));
        owner.process(new Record<>(key.getBytes(StandardCharsets.UTF_8), serde.serializer().serialize(TOPIC, c), 0L));
    }

    private String value(String key) {
        byte[] v = StoredValue.value(store.get(Bytes.wrap(key.getBytes(StandardCharsets.UTF_8))));
        return v == null ? null : new String(v, StandardCharsets.UTF_8);
    }

    @Test
    void aReplayedIncrementCountsOnce() {
        apply(0, "n", Operation.INCR, "1");
        apply(1, "n", Operation.INCR, "1");
        apply(2, "n", Operation.INCR, "1");
        assertEquals("3", value("n"));
        // the crash: the committed offset was 1, the changelog had every change
        apply(1, "n", Operation.INCR, "1");
        apply(2, "n", Operation.INCR, "1");
        assertEquals("3", value("n"));
        assertEquals(2, owner.skipped);
        apply(3, "n", Operation.INCR, "1");
        assertEquals("4", value("n"));
    }

    @Test
    void everyReadModifyWriteIsSkippedOnReplayNotOnlyIncrements() {
        apply(10, "s", Operation.APPEND, "ab");
        apply(11, "s", Operation.APPEND, "cd");
        apply(12, "t", Operation.PUT_NX, "first");
        apply(11, "s", Operation.APPEND, "cd");
        apply(12, "t", Operation.PUT_NX, "first");
        assertEquals("abcd", value("s"));
        assertEquals("first", value("t"));
    }

    @Test
    void aReplayedPutStartsTheKeyOverAndLaterChangesApplyOnTopOfIt() {
        apply(20, "n", Operation.PUT, "5");
        apply(21, "n", Operation.INCR, "1");
        // replayed from 20: the blind PUT rewrites 5 (offset 20), so INCR at 21 applies again, once
        apply(20, "n", Operation.PUT, "5");
        apply(21, "n", Operation.INCR, "1");
        assertEquals("6", value("n"));
        assertEquals(20 + 1, StoredValue.offset(store.get(Bytes.wrap("n".getBytes(StandardCharsets.UTF_8)))));
    }

    @Test
    void aRefusedOperationIsAnsweredToItsWriterAndIsNoDeadLetter() throws Exception {
        StoreProgress progress = new StoreProgress();
        AtomicLong deadLetters = new AtomicLong();
        owner = new TableSourceProcessor("table-kv", registry, false, deadLetters, progress);
        owner.init(context);
        apply(30, "k", Operation.PUT, "text");
        var answer = progress.results().awaitResult("r1");
        context.setRecordMetadata(TOPIC, 0, 31);
        Change incr = Changes.of(Operation.INCR, "1".getBytes(StandardCharsets.UTF_8));
        incr.setRequestId("r1");
        owner.process(new Record<>("k".getBytes(StandardCharsets.UTF_8), serde.serializer().serialize(TOPIC, incr), 0L));
        var refused = assertThrows(java.util.concurrent.ExecutionException.class, () -> answer.get(5, java.util.concurrent.TimeUnit.SECONDS));
        assertTrue(refused.getCause().getMessage().contains("not an integer"), refused.getCause().getMessage());
        assertEquals(0, deadLetters.get());
        assertTrue(context.forwarded().isEmpty(), "nothing for the dead-letter topic");
        assertEquals(1, owner.refused);
        // the same change from a producer of the user's (no writer waits): a dead letter, as before
        apply(32, "k", Operation.INCR, "1");
        assertEquals(1, deadLetters.get());
        assertEquals("text", value("k"));
    }

    @Test
    void storedValuesRoundTripAndRefuseBytesWithoutATag() {
        byte[] v = "hello".getBytes(StandardCharsets.UTF_8);
        assertArrayEquals(v, StoredValue.value(StoredValue.encode(v, 42)));
        assertEquals(42, StoredValue.offset(StoredValue.encode(v, 42)));
        assertArrayEquals(v, StoredValue.value(StoredValue.encode(v, -1)));
        assertEquals(-1, StoredValue.offset(StoredValue.encode(v, -1)));
        assertArrayEquals(new byte[0], StoredValue.value(StoredValue.encode(new byte[0], 7)));
        assertNull(StoredValue.value(null));
        assertThrows(IllegalArgumentException.class, () -> StoredValue.value(new byte[]{'x', 9}));
    }
}
