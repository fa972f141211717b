package io.pequod.views.internals.processor;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A partial view's back-fill marker. An activation of range {@code t|v|} (epoch = the offset of
 * its record in the activation log) back-fills the range by sending each of the driving source's
 * rows {@code s|v|...} into the join again; then, for each partition of the join step those rows
 * went to, one marker along the same path as the last of them ({@link TupleDelta.Kind#MARK}),
 * {@code index} of {@code count}; with no row, one marker of count 1. A join step forwards a
 * marker after the results of the rows before it, so the view's materializer, having seen the
 * markers {@code 0..count-1} of an epoch, has every row of the back-fill. An eviction sends one
 * marker of count 0 after its deletes. In the view's topic a marker is a tombstone of the key
 * {@code |fill|t|v|} with the header {@value #HEADER} = {@code epoch:count:index}.
 *
 * @param key        the driving row whose path the marker follows, or {@code null} (no row)
 * @param viewPrefix the range, {@code t|v|}
 * @param epoch      the activation's offset in the activation log
 * @param count      how many markers the back-fill sends (at least 1), or 0 for an eviction
 * @param index      this marker's number
 */
public record FillMark(byte[] key, byte[] viewPrefix, long epoch, int count, int index) implements SourceOutput {
    /** Header of a marker in a view's topic. */
    public static final String HEADER = "pequod.fill";
    /** Prefix of a marker's key in a view's topic (no table key starts with '|'). */
    public static final byte[] KEY_PREFIX = "|fill|".getBytes(StandardCharsets.US_ASCII);

    /** @return the marker as a join delta's payload */
    byte[] encode() {
        return ByteBuffer.allocate(4 + viewPrefix.length + 16).putInt(viewPrefix.length).put(viewPrefix)
                .putLong(epoch).putInt(count).putInt(index).array();
    }

    /** @param payload {@link #encode()}'s bytes @return the marker (without its row) */
    static FillMark decode(byte[] payload) {
        ByteBuffer b = ByteBuffer.wrap(payload);
        byte[] prefix = new byte[b.getInt()];
        b.get(prefix);
        return new FillMark(null, prefix, b.getLong(), b.getInt(), b.getInt());
    }

    /** @return the marker's key in the view's topic */
    byte[] topicKey() {
        byte[] k = Arrays.copyOf(KEY_PREFIX, KEY_PREFIX.length + viewPrefix.length);
        System.arraycopy(viewPrefix, 0, k, KEY_PREFIX.length, viewPrefix.length);
        return k;
    }

    /** @return the header value of the marker */
    byte[] headerValue() {
        return (epoch + ":" + count + ":" + index).getBytes(StandardCharsets.US_ASCII);
    }

    /** @param key a view topic's key @return whether it is a back-fill marker */
    public static boolean isMarker(byte[] key) {
        return key != null && key.length > KEY_PREFIX.length && key[0] == '|'
                && Arrays.equals(key, 0, KEY_PREFIX.length, KEY_PREFIX, 0, KEY_PREFIX.length);
    }

    /**
     * @param key     a marker's key in a view topic
     * @param headers its headers
     * @return the marker, or {@code null} if the header is missing or malformed
     */
    public static FillMark fromTopic(byte[] key, Headers headers) {
        Header h = headers.lastHeader(HEADER);
        if (h == null || h.value() == null) {
            return null;
        }
        String[] f = new String(h.value(), StandardCharsets.US_ASCII).split(":");
        try {
            return new FillMark(null, Arrays.copyOfRange(key, KEY_PREFIX.length, key.length), Long.parseLong(f[0]),
                    Integer.parseInt(f[1]), Integer.parseInt(f[2]));
        } catch (RuntimeException e) {
            return null;
        }
    }
}
