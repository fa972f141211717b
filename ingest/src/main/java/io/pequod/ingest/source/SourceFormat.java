package io.pequod.ingest.source;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** How a source topic's records are encoded. */
public enum SourceFormat {
    /** The value is a JSON object (Kafka Connect's {@code schema}/{@code payload} wrapper is taken off). */
    JSON("json"),
    /** The value is Avro in Confluent's wire format; the writer schema comes from the registry by id. */
    AVRO("avro"),
    /** Debezium's change envelope ({@code before}, {@code after}, {@code op}) in JSON, with or without Connect's wrapper. */
    DEBEZIUM_JSON("debezium-json"),
    /** Debezium's change envelope in Avro (Confluent's wire format). */
    DEBEZIUM_AVRO("debezium-avro"),
    /** Key and value are text: {@code {key}} and {@code {value}}. */
    STRING("string");

    private final String written;

    SourceFormat(String written) {
        this.written = written;
    }

    /** @return the name as written in a spec */
    public String written() {
        return written;
    }

    /** @return whether records carry Debezium's envelope */
    public boolean debezium() {
        return this == DEBEZIUM_JSON || this == DEBEZIUM_AVRO;
    }

    /** @return whether values are Avro in Confluent's wire format */
    public boolean avro() {
        return this == AVRO || this == DEBEZIUM_AVRO;
    }

    /**
     * @param written a format as written in a spec
     * @return the format, if there is one by that name
     */
    public static Optional<SourceFormat> named(String written) {
        String w = written.toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(f -> f.written.equals(w)).findFirst();
    }

    /** @return the names as written, separated by '|' */
    public static String choices() {
        return String.join("|", Arrays.stream(values()).map(SourceFormat::written).toList());
    }
}
