package io.pequod.ingest.source;

/** A source record that cannot be mapped to table changes; the message is the dead letter's reason. */
public final class BadRecordException extends RuntimeException {
    /** @param reason why, naming the field or the format */
    public BadRecordException(String reason) {
        super(reason, null, false, false);
    }
}
