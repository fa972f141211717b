package io.pequod.ingest.source;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.pequod.schemas.Key;
import io.pequod.schemas.SchemaRegistryClient;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Maps one record of a user's topic to changes of a Pequod table: decodes it by its format, fills
 * the key and value templates, and for Debezium's envelope erases the key built from {@code before}
 * on a delete, and the old key when an update changes the key. Thread-safe.
 */
public final class SourceMapping {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * A change of the table.
     *
     * @param key   the table key
     * @param value the value, or {@code null} to erase the key
     */
    public record Write(String key, String value) {
    }

    private final String table;
    private final SourceFormat format;
    private final RowTemplate key;
    private final RowTemplate value;
    private final AvroRows avro;

    /**
     * @param table    the table the source feeds
     * @param format   the records' format
     * @param key      the key template (must start with {@code table|})
     * @param value    the value template
     * @param registry the schema registry, for Avro formats
     */
    public SourceMapping(String table, SourceFormat format, RowTemplate key, RowTemplate value, SchemaRegistryClient registry) {
        this.table = Objects.requireNonNull(table, "table cannot be null");
        this.format = Objects.requireNonNull(format, "format cannot be null");
        this.key = Objects.requireNonNull(key, "key cannot be null");
        this.value = Objects.requireNonNull(value, "value cannot be null");
        if (!key.literalPrefix().startsWith(table + "|")) {
            throw new IllegalArgumentException("key template '" + key + "' must start with '" + table + "|'");
        }
        this.avro = format.avro() ? new AvroRows(Objects.requireNonNull(registry, "registry cannot be null for " + format.written()))
                : null;
    }

    /** @return the table this source feeds */
    public String table() {
        return table;
    }

    /**
     * @param recordKey   the record's key bytes, or {@code null}
     * @param recordValue the record's value bytes, or {@code null} (a tombstone)
     * @return the table changes, in order (empty for a record that changes nothing, such as
     * the tombstone Debezium sends after a delete)
     * @throws BadRecordException why the record cannot be mapped (for the dead-letter topic)
     */
    public List<Write> map(byte[] recordKey, byte[] recordValue) {
        JsonNode k = recordKey == null ? null : decodeKey(recordKey);
        if (recordValue == null) {
            if (format.debezium()) {
                return List.of(); // the tombstone after a delete: the delete erased the key already
            }
            return List.of(erase(k, null));
        }
        JsonNode v = decodeValue(recordValue);
        if (!format.debezium()) {
            return List.of(put(v, k));
        }
        String op = v.path("op").asText("");
        JsonNode before = v.get("before");
        JsonNode after = v.get("after");
        switch (op) {
            case "c", "r" -> {
                return List.of(put(row(after, "after", op), k));
            }
            case "u" -> {
                Write w = put(row(after, "after", op), k);
                String old = oldKey(before, k);
                return old == null || old.equals(w.key()) ? List.of(w) : List.of(new Write(old, null), w);
            }
            case "d" -> {
                return List.of(erase(k, before));
            }
            case "" -> throw new BadRecordException("not a Debezium change event: no 'op' field (for rows flattened by "
                    + "ExtractNewRecordState use format json)");
            default -> throw new BadRecordException("Debezium op '" + op + "' is not applied (only c, r, u and d are)");
        }
    }

    private Write put(JsonNode row, JsonNode k) {
        String v = value.fill(row, k);
        // (a char is at most 3 UTF-8 bytes: only long values are encoded here to be measured)
        if (v.length() > Key.MAX_VALUE_LENGTH / 3 && v.getBytes(StandardCharsets.UTF_8).length > Key.MAX_VALUE_LENGTH) {
            throw new BadRecordException("value for key " + key(row, k) + " is over " + Key.MAX_VALUE_LENGTH + " bytes");
        }
        return new Write(key(row, k), v);
    }

    /**
     * @return the key an update's {@code before} row had, or {@code null} when it cannot be built
     * (no {@code before}, or one without the key's fields, as PostgreSQL sends by default): the
     * update is then written under its new key only
     */
    private String oldKey(JsonNode before, JsonNode k) {
        if (before == null || !before.isObject()) {
            return null;
        }
        try {
            return key(before, k);
        } catch (BadRecordException e) {
            return null;
        }
    }

    private Write erase(JsonNode k, JsonNode before) {
        if (before != null && before.isObject()) {
            return new Write(key(before, k), null);
        }
        if (key.usesOnlyRecordKey()) {
            return new Write(key(JsonNodeFactory.instance.objectNode(), k), null);
        }
        throw new BadRecordException("a delete without the deleted row: key template '" + key + "' takes fields of the row, "
                + "so the key to erase is unknown (a template of only {key...} fields erases by the record key)");
    }

    private String key(JsonNode row, JsonNode k) {
        String s = key.fill(row, k);
        String problem = Key.validate(s.getBytes(StandardCharsets.UTF_8));
        if (problem != null) {
            throw new BadRecordException(problem);
        }
        return s;
    }

    private static JsonNode row(JsonNode n, String field, String op) {
        if (n == null || !n.isObject()) {
            throw new BadRecordException("Debezium op '" + op + "' without an '" + field + "' row");
        }
        return n;
    }

    private JsonNode decodeValue(byte[] data) {
        if (format == SourceFormat.STRING) {
            return JsonNodeFactory.instance.textNode(new String(data, StandardCharsets.UTF_8));
        }
        JsonNode v = format.avro() ? avro.decode(data, "value") : unwrap(parse(data, "value"));
        if (!v.isObject()) {
            throw new BadRecordException("value is a JSON " + v.getNodeType().name().toLowerCase(Locale.ROOT)
                    + ", not an object");
        }
        return v;
    }

    private JsonNode decodeKey(byte[] data) {
        if (format.avro() && AvroRows.looksFramed(data)) {
            return unwrap(avro.decode(data, "key"));
        }
        if (format != SourceFormat.STRING) {
            int i = 0;
            while (i < data.length && Character.isWhitespace(data[i])) {
                i++;
            }
            if (i < data.length && (data[i] == '{' || data[i] == '"')) {
                return unwrap(parse(data, "key"));
            }
        }
        return JsonNodeFactory.instance.textNode(new String(data, StandardCharsets.UTF_8));
    }

    private static JsonNode parse(byte[] data, String what) {
        try {
            JsonNode n = JSON.readTree(data);
            if (n == null || n.isMissingNode()) {
                throw new BadRecordException(what + " is empty, not JSON");
            }
            return n;
        } catch (IOException e) {
            throw new BadRecordException(what + " is not JSON: " + firstLine(e.getMessage()));
        }
    }

    /** Takes off Kafka Connect's JsonConverter wrapper ({@code {"schema": ..., "payload": ...}}). */
    private static JsonNode unwrap(JsonNode n) {
        if (n.isObject() && n.size() == 2 && n.has("schema") && n.has("payload")) {
            return n.get("payload");
        }
        return n;
    }

    private static String firstLine(String s) {
        int nl = s == null ? -1 : s.indexOf('\n');
        return nl < 0 ? String.valueOf(s) : s.substring(0, nl);
    }
}
