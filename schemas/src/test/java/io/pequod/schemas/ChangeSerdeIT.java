package io.pequod.schemas;

import io.pequod.embedded.EmbeddedSchemaRegistry;
import io.pequod.schemas.avro.Change;
import io.pequod.schemas.avro.Operation;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Confluent wire format and the registry client against a real Apicurio registry. */
@Timeout(180)
class ChangeSerdeIT {
    private static EmbeddedSchemaRegistry registry;

    @BeforeAll
    static void startRegistry() {
        registry = EmbeddedSchemaRegistry.create(null, 0).start();
    }

    @AfterAll
    static void stopRegistry() {
        registry.close();
    }

    @Test
    void shouldWriteConfluentHeaderThenAvroBinary() {
        ChangeSerde serde = new ChangeSerde();
        serde.configure(Map.of(ChangeSerde.SCHEMA_REGISTRY_URL_CONFIG, registry.url()), false);
        byte[] bytes = serde.serializer().serialize("wire.t", Changes.of(Operation.PUT, "hi".getBytes(StandardCharsets.US_ASCII)));
        int id = SchemaRegistryClient.create(registry.url(), Duration.ofSeconds(10)).register("wire.t-value", Change.SCHEMA$);
        byte[] expected = {
                0x00,                                                        // magic byte
                (byte) (id >>> 24), (byte) (id >>> 16), (byte) (id >>> 8), (byte) id, // schema id, big-endian
                0x00,                                                        // op: enum index 0 = PUT
                0x04, 'h', 'i',                                              // value: zigzag length 2, bytes
                0x00,                                                        // timestamp: union branch 0 = null
                0x00,                                                        // requestId: union branch 0 = null
                0x00,                                                        // expireAt: union branch 0 = null
                0x00                                                         // keepTtl: false
        };
        assertArrayEquals(expected, bytes);
        Change back = serde.deserializer().deserialize("wire.t", bytes);
        assertEquals(Operation.PUT, back.getOp());
        assertEquals("hi", StandardCharsets.US_ASCII.decode(back.getValue()).toString());
        assertNull(back.getTimestamp());
    }

    @Test
    void shouldRoundTripAllFields() {
        ChangeSerde serde = new ChangeSerde(SchemaRegistryClient.shared(registry.url()));
        Change c = new Change(Operation.INCRF, ByteBuffer.wrap("1.5".getBytes()), 1234L, "req-7", 99L, true);
        assertEquals(c, serde.deserializer().deserialize("rt.t", serde.serializer().serialize("rt.t", c)));
        assertNull(serde.serializer().serialize("rt.t", null), "tombstones stay null");
        assertNull(serde.deserializer().deserialize("rt.t", null));
    }

    @Test
    void shouldReadRecordsWrittenWithAnOlderCompatibleSchema() {
        // An earlier Change without requestId: BACKWARD-compatible, read through schema resolution.
        Schema old = SchemaBuilder.record("Change").namespace("io.pequod.schemas.avro").fields()
                .name("op").type(Change.SCHEMA$.getField("op").schema()).noDefault()
                .name("value").type().bytesType().noDefault()
                .endRecord();
        SchemaRegistryClient client = SchemaRegistryClient.create(registry.url(), Duration.ofSeconds(10));
        int id = client.register("old.t-value", old);
        byte[] data = {0, (byte) (id >>> 24), (byte) (id >>> 16), (byte) (id >>> 8), (byte) id, 0x02, 0x02, 'x'};
        Change c = new ChangeSerde(client).deserializer().deserialize("old.t", data);
        assertEquals(Operation.INCR, c.getOp());
        assertNull(c.getRequestId());
    }

    @Test
    void shouldRejectBytesNotInWireFormat() {
        ChangeSerde serde = new ChangeSerde(SchemaRegistryClient.shared(registry.url()));
        SerializationException e = assertThrows(SerializationException.class,
                () -> serde.deserializer().deserialize("bad.t", "{json}".getBytes()));
        assertEquals("Record value in topic bad.t is not in the Confluent wire format: first byte is 0x7b, expected 0x00",
                e.getMessage());
        SerializationException unknownId = assertThrows(SerializationException.class,
                () -> serde.deserializer().deserialize("bad.t", new byte[] {0, 0x7f, 0, 0, 1, 0, 0, 0, 0}));
        assertTrue(unknownId.getMessage().startsWith("Could not read a record of topic bad.t written with schema id 2130706433"),
                unknownId.getMessage());
    }

    @Test
    void shouldRegisterFetchAndRejectIncompatibleSchemaWithRegistryReason() {
        SchemaRegistryClient client = SchemaRegistryClient.create(registry.url(), Duration.ofSeconds(10));
        Schema v1 = SchemaBuilder.record("A").fields().requiredInt("x").endRecord();
        int id = client.register("compat-value", v1);
        assertEquals(id, client.register("compat-value", v1), "same schema, same id");
        assertEquals(v1, SchemaRegistryClient.create(registry.url(), Duration.ofSeconds(10)).schemaById(id));
        Schema v2 = SchemaBuilder.record("A").fields().requiredString("x").endRecord();
        assertEquals(false, client.isCompatible("compat-value", v2));
        SchemaRegistryException e = assertThrows(SchemaRegistryException.class, () -> client.register("compat-value", v2));
        assertTrue(e.isIncompatible());
        assertTrue(e.getMessage().contains("rejected the schema as incompatible while registering a schema under subject compat-value"),
                e.getMessage());
        assertTrue(e.getMessage().contains("reader type: STRING not compatible with writer type: INT"), e.getMessage());
    }

    @Test
    void shouldSayWhenRegistryIsUnreachable() {
        SchemaRegistryClient down = SchemaRegistryClient.create("http://127.0.0.1:1", Duration.ofSeconds(2));
        SchemaRegistryException e = assertThrows(SchemaRegistryException.class, () -> down.register("x-value", Change.SCHEMA$));
        assertEquals(0, e.status());
        assertTrue(e.getMessage().startsWith("Schema registry error: registry at http://127.0.0.1:1 is unreachable"), e.getMessage());
        assertTrue(e.getMessage().endsWith("while registering a schema under subject x-value"), e.getMessage());
        assertTrue(Arrays.asList(e.getMessage().split(" ")).contains("unreachable"));
    }
}
