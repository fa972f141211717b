package io.pequod.ingest.source;

import io.pequod.schemas.ChangeSerde;
import io.pequod.schemas.SchemaRegistryClient;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SourceMappingTest {
    private static SourceMapping.Write put(String k, String v) {
        return new SourceMapping.Write(k, v);
    }

    private static SourceMapping.Write erase(String k) {
        return new SourceMapping.Write(k, null);
    }

    private static byte[] utf8(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    private static SourceMapping mapping(String table, SourceFormat f, String key, String value, SchemaRegistryClient r) {
        return new SourceMapping(table, f, RowTemplate.parse(key), RowTemplate.parse(value), r);
    }

    @Test
    void jsonRowsFillTemplatesWithPaddingNestingAndTheRecordKey() {
        SourceMapping m = mapping("o", SourceFormat.JSON, "o|{customer.id:08}|{key.order}|{code:4}", "{total} {*}", null);
        List<SourceMapping.Write> w = m.map(utf8("{\"order\":\"A7\"}"),
                utf8("{\"customer\":{\"id\":42},\"code\":\"éabc\",\"total\":12.5}"));
        assertEquals(List.of(put("o|00000042|A7|éab", "12.5 {\"customer\":{\"id\":42},\"code\":\"éabc\",\"total\":12.5}")), w);
        assertEquals("o|00000042|A7|x   ", m.map(utf8("{\"order\":\"A7\"}"),
                utf8("{\"customer\":{\"id\":\"42\"},\"code\":\"x\",\"total\":1}")).get(0).key());
    }

    @Test
    void badRecordsNameTheFieldOrTheFormat() {
        SourceMapping m = mapping("c", SourceFormat.JSON, "c|{id:04}", "{email}", null);
        assertEquals("field email is missing (template part {email})",
                assertThrows(BadRecordException.class, () -> m.map(null, utf8("{\"id\":1}"))).getMessage());
        assertTrue(assertThrows(BadRecordException.class, () -> m.map(null, utf8("{\"id\":12345,\"email\":\"x\"}")))
                .getMessage().contains("more than the 4 digits"));
        assertTrue(assertThrows(BadRecordException.class, () -> m.map(null, utf8("{\"id\":-1,\"email\":\"x\"}")))
                .getMessage().contains("not a non-negative integer"));
        assertTrue(assertThrows(BadRecordException.class, () -> m.map(null, utf8("{not json")))
                .getMessage().startsWith("value is not JSON"));
        assertTrue(assertThrows(BadRecordException.class, () -> m.map(null, utf8("[1]")))
                .getMessage().contains("not an object"));
        SourceMapping longKey = mapping("c", SourceFormat.JSON, "c|{name}", "1", null);
        assertTrue(assertThrows(BadRecordException.class, () -> longKey.map(null, utf8("{\"name\":\"" + "x".repeat(1100) + "\"}")))
                .getMessage().contains("the limit is 1024"));
    }

    @Test
    void tombstonesEraseByTheRecordKeyOnlyWhenTheKeyTemplateUsesNothingElse() {
        SourceMapping byKey = mapping("c", SourceFormat.JSON, "c|{key.id:04}", "{email}", null);
        assertEquals(List.of(erase("c|0007")), byKey.map(utf8("{\"id\":7}"), null));
        SourceMapping byRow = mapping("c", SourceFormat.JSON, "c|{id:04}", "{email}", null);
        assertTrue(assertThrows(BadRecordException.class, () -> byRow.map(utf8("{\"id\":7}"), null))
                .getMessage().startsWith("a delete without the deleted row"));
        SourceMapping text = mapping("f", SourceFormat.STRING, "f|{key}", "{value}", null);
        assertEquals(List.of(put("f|a|b", "hello")), text.map(utf8("a|b"), utf8("hello")));
        assertEquals(List.of(erase("f|a|b")), text.map(utf8("a|b"), null));
    }

    @Test
    void debeziumJsonWithAndWithoutConnectsWrapper() {
        SourceMapping m = mapping("c", SourceFormat.DEBEZIUM_JSON, "c|{id:08}", "{email}", null);
        String key = "{\"schema\":{\"type\":\"struct\"},\"payload\":{\"id\":1001}}";
        String create = "{\"before\":null,\"after\":{\"id\":1001,\"email\":\"a@x\"},\"op\":\"c\",\"ts_ms\":1}";
        assertEquals(List.of(put("c|00001001", "a@x")), m.map(utf8(key), utf8(create)));
        String wrapped = "{\"schema\":{\"type\":\"struct\",\"fields\":[]},\"payload\":" + create.replace("\"c\"", "\"r\"") + "}";
        assertEquals(List.of(put("c|00001001", "a@x")), m.map(utf8(key), utf8(wrapped)));
        String update = "{\"before\":{\"id\":1001,\"email\":\"a@x\"},\"after\":{\"id\":1001,\"email\":\"b@x\"},\"op\":\"u\"}";
        assertEquals(List.of(put("c|00001001", "b@x")), m.map(utf8(key), utf8(update)));
        String rekey = "{\"before\":{\"id\":1001,\"email\":\"b@x\"},\"after\":{\"id\":1002,\"email\":\"b@x\"},\"op\":\"u\"}";
        assertEquals(List.of(erase("c|00001001"), put("c|00001002", "b@x")), m.map(utf8(key), utf8(rekey)));
        String partialBefore = "{\"before\":{\"email\":\"b@x\"},\"after\":{\"id\":1002,\"email\":\"c@x\"},\"op\":\"u\"}";
        assertEquals(List.of(put("c|00001002", "c@x")), m.map(utf8(key), utf8(partialBefore)), "a before without the key's fields");
        String delete = "{\"before\":{\"id\":1002,\"email\":\"b@x\"},\"after\":null,\"op\":\"d\"}";
        assertEquals(List.of(erase("c|00001002")), m.map(utf8(key), utf8(delete)));
        assertEquals(List.of(), m.map(utf8(key), null));
        assertTrue(assertThrows(BadRecordException.class, () -> m.map(null, utf8("{\"id\":1}"))).getMessage()
                .contains("no 'op' field"));
        assertTrue(assertThrows(BadRecordException.class, () -> m.map(null, utf8("{\"op\":\"t\"}"))).getMessage()
                .contains("'t' is not applied"));
    }

    @Test
    void avroRowsOfTwoSchemaVersionsAndDebeziumAvro() throws IOException {
        SchemaRegistryClient registry = SchemaRegistryClient.create("mem://source-mapping-test", Duration.ofSeconds(1));
        Schema v1 = SchemaBuilder.record("Order").fields().requiredLong("customer_id").requiredLong("order_id")
                .requiredString("total").endRecord();
        Schema v2 = SchemaBuilder.record("Order").fields().requiredLong("customer_id").requiredLong("order_id")
                .requiredString("total").optionalString("note").endRecord();
        int id1 = registry.register("orders-value", v1);
        int id2 = registry.register("orders-value", v2);
        SourceMapping m = mapping("o", SourceFormat.AVRO, "o|{customer_id:08}|{order_id:010}", "{total}", registry);
        GenericRecord r1 = new GenericData.Record(v1);
        r1.put("customer_id", 7L);
        r1.put("order_id", 99L);
        r1.put("total", "10.00");
        GenericRecord r2 = new GenericData.Record(v2);
        r2.put("customer_id", 7L);
        r2.put("order_id", 100L);
        r2.put("total", "2.50");
        r2.put("note", "gift");
        assertEquals(List.of(put("o|00000007|0000000099", "10.00")), m.map(utf8("99"), framed(id1, v1, r1)));
        assertEquals(List.of(put("o|00000007|0000000100", "2.50")), m.map(utf8("100"), framed(id2, v2, r2)));
        assertTrue(assertThrows(BadRecordException.class, () -> m.map(null, utf8("{\"a\":1}"))).getMessage()
                .contains("not Avro in Confluent's wire format"));

        Schema envelope = SchemaBuilder.record("Envelope").fields()
                .name("before").type().optional().type(v1)
                .name("after").type().optional().type(v1)
                .requiredString("op").endRecord();
        int id3 = registry.register("dbz-value", envelope);
        GenericRecord d = new GenericData.Record(envelope);
        d.put("before", r1);
        d.put("after", null);
        d.put("op", "d");
        SourceMapping dbz = mapping("o", SourceFormat.DEBEZIUM_AVRO, "o|{customer_id:08}|{order_id:010}", "{total}", registry);
        assertEquals(List.of(erase("o|00000007|0000000099")), dbz.map(null, framed(id3, envelope, d)));
    }

    @Test
    void templatesThatDoNotParseSayWhere() {
        assertEquals(2, assertThrows(TemplateException.class, () -> RowTemplate.parse("c|{id")).offset());
        assertEquals(2, assertThrows(TemplateException.class, () -> RowTemplate.parse("c|{a b}")).offset());
        assertEquals(3, assertThrows(TemplateException.class, () -> RowTemplate.parse("c|x}")).offset());
        assertEquals(0, assertThrows(TemplateException.class, () -> RowTemplate.parse("{*:3}")).offset());
        assertEquals("c|{x}", RowTemplate.parse("c|{{x}}").fill(null, null));
    }

    private static byte[] framed(int id, Schema schema, GenericRecord r) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(ChangeSerde.MAGIC_BYTE);
        out.write(ByteBuffer.allocate(4).putInt(id).array());
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(schema).write(r, enc);
        enc.flush();
        return out.toByteArray();
    }
}
