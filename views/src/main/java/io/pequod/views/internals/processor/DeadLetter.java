package io.pequod.views.internals.processor;

/**
 * A record that could not be processed, with the reason; written to {@code <ns>.dead-letters}
 * with headers {@code pequod.dlq.reason}, {@code .topic}, {@code .partition}, {@code .offset}.
 *
 * @param key       the original record key (may be {@code null})
 * @param value     the original record value (may be {@code null})
 * @param reason    why it was rejected
 * @param topic     where it came from
 * @param partition its partition
 * @param offset    its offset
 */
public record DeadLetter(byte[] key, byte[] value, String reason, String topic, int partition, long offset) implements SourceOutput {
    /** Header names. */
    public static final String REASON = "pequod.dlq.reason";
    /** Header names. */
    public static final String TOPIC = "pequod.dlq.topic";
    /** Header names. */
    public static final String PARTITION = "pequod.dlq.partition";
    /** Header names. */
    public static final String OFFSET = "pequod.dlq.offset";
    /** Header names. */
    public static final String APPLICATION = "pequod.dlq.application";
}
