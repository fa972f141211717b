package io.pequod.ingest.source;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pequod.schemas.ChangeSerde;
import io.pequod.schemas.SchemaRegistryClient;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericEnumSymbol;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Decodes Avro in Confluent's wire format (magic byte 0, 4-byte schema id, Avro binary) with the
 * writer's schema from the registry, into a JSON tree: any record schema, any version.
 */
final class AvroRows {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final SchemaRegistryClient registry;
    private final Map<Integer, GenericDatumReader<Object>> readers = new ConcurrentHashMap<>();

    AvroRows(SchemaRegistryClient registry) {
        this.registry = registry;
    }

    /** @return whether the bytes start like Confluent's wire format */
    static boolean looksFramed(byte[] data) {
        return data.length >= ChangeSerde.HEADER_LENGTH && data[0] == ChangeSerde.MAGIC_BYTE;
    }

    JsonNode decode(byte[] data, String what) {
        if (!looksFramed(data)) {
            throw new BadRecordException(what + " is not Avro in Confluent's wire format (it does not start with magic byte 0 "
                    + "and a schema id)");
        }
        int id = ByteBuffer.wrap(data, 1, 4).getInt();
        GenericDatumReader<Object> reader;
        try {
            reader = readers.computeIfAbsent(id, i -> new GenericDatumReader<>(registry.schemaById(i)));
        } catch (RuntimeException e) {
            throw new BadRecordException(what + " has schema id " + id + ", which the registry does not give: " + e.getMessage());
        }
        try {
            BinaryDecoder in = DecoderFactory.get().binaryDecoder(data, ChangeSerde.HEADER_LENGTH,
                    data.length - ChangeSerde.HEADER_LENGTH, null);
            return toJson(reader.read(null, in), reader.getSchema());
        } catch (IOException | RuntimeException e) {
            throw new BadRecordException(what + " does not decode with schema id " + id + ": " + e);
        }
    }

    static JsonNode toJson(Object v, Schema schema) {
        if (v == null) {
            return NODES.nullNode();
        }
        Schema s = schema.getType() == Schema.Type.UNION ? branch(v, schema) : schema;
        if (v instanceof GenericRecord r) {
            ObjectNode o = NODES.objectNode();
            for (Schema.Field f : r.getSchema().getFields()) {
                o.set(f.name(), toJson(r.get(f.pos()), f.schema()));
            }
            return o;
        }
        if (v instanceof Map<?, ?> m) {
            ObjectNode o = NODES.objectNode();
            m.forEach((k, x) -> o.set(k.toString(), toJson(x, s.getValueType())));
            return o;
        }
        if (v instanceof Collection<?> c) {
            ArrayNode a = NODES.arrayNode();
            c.forEach(x -> a.add(toJson(x, s.getElementType())));
            return a;
        }
        return scalar(v, s);
    }

    private static JsonNode scalar(Object v, Schema s) {
        if (v instanceof CharSequence || v instanceof GenericEnumSymbol<?>) {
            return NODES.textNode(v.toString());
        }
        if (v instanceof Integer i) {
            return NODES.numberNode(i);
        }
        if (v instanceof Long l) {
            return NODES.numberNode(l);
        }
        if (v instanceof Float f) {
            return NODES.numberNode(f);
        }
        if (v instanceof Double d) {
            return NODES.numberNode(d);
        }
        if (v instanceof Boolean b) {
            return NODES.booleanNode(b);
        }
        byte[] bytes = v instanceof ByteBuffer bb ? copy(bb) : v instanceof GenericFixed f ? f.bytes() : null;
        if (bytes != null) {
            if (s.getLogicalType() instanceof LogicalTypes.Decimal d) {
                return NODES.numberNode(new BigDecimal(new BigInteger(bytes), d.getScale()));
            }
            return NODES.binaryNode(bytes);
        }
        return NODES.textNode(v.toString());
    }

    private static Schema branch(Object v, Schema union) {
        for (Schema b : union.getTypes()) {
            if (b.getType() != Schema.Type.NULL && matches(v, b)) {
                return b;
            }
        }
        return union.getTypes().get(union.getTypes().size() - 1);
    }

    private static boolean matches(Object v, Schema b) {
        return switch (b.getType()) {
            case RECORD -> v instanceof GenericRecord r && r.getSchema().getFullName().equals(b.getFullName());
            case BYTES -> v instanceof ByteBuffer;
            case FIXED -> v instanceof GenericFixed;
            case MAP -> v instanceof Map;
            case ARRAY -> v instanceof Collection;
            default -> true;
        };
    }

    private static byte[] copy(ByteBuffer bb) {
        ByteBuffer d = bb.duplicate();
        byte[] out = new byte[d.remaining()];
        d.get(out);
        return out;
    }
}
