package io.pequod.views.progress;

/**
 * A source's state, for {@code /health} and metrics.
 *
 * @param table       the table it feeds
 * @param topic       the user's topic it reads
 * @param format      the records' format, as written
 * @param application its Kafka Streams application id (the consumer group)
 * @param state       its Streams state, or {@code WAITING_FOR_TOPIC} while the topic does not exist
 * @param lag         records in the topic not yet applied (all instances), or -1 if unknown
 * @param deadLetters records this instance sent to the dead-letter topic since start
 */
public record SourceStatus(String table, String topic, String format, String application, String state, long lag,
                           long deadLetters) {
    /** The state of a source whose topic does not exist yet (it starts once the topic does). */
    public static final String WAITING_FOR_TOPIC = "WAITING_FOR_TOPIC";
}
