package io.pequod.views.internals.processor;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A view whose records fail is dead-lettered and the others go on: an exception thrown by a view's
 * join processors (inside a tables application, which computes several views and owns the tables,
 * or in the view's own application) sends the record being processed to {@code <ns>.dead-letters},
 * with the reason naming the view and the origin (topic, partition, offset of the task's input),
 * and processing resumes. An exception anywhere else (a table's owner, whose read-modify-writes
 * must not skip a change) stops the application as before.
 */
public final class ViewFailures implements ProcessingExceptionHandler {
    /** Setting: the dead-letter topic. */
    public static final String DEAD_LETTER_TOPIC = "pequod.view.failures.topic";
    /** Setting: the key of the dead-letter counter ({@link #register}). */
    public static final String COUNTER = "pequod.view.failures.counter";
    private static final Logger LOG = LoggerFactory.getLogger(ViewFailures.class);
    private static final Map<String, AtomicLong> COUNTERS = new ConcurrentHashMap<>();
    /** Processors of a view inside a tables application: {@code <view>-j<n>-...}, {@code <view>-stamp}, {@code <view>-merge-<n>}. */
    private static final Pattern INSIDE = Pattern.compile("^(.+?)-(?:j\\d+-.*|stamp|merge-\\d+)$");
    /** Processors of a view's own application: {@code j<n>-...}, {@code stamp-<view>}, {@code merge-<n>}, {@code deltas-<table>}. */
    private static final Pattern OWN = Pattern.compile("^(?:j\\d+-.*|stamp-.+|merge-\\d+|deltas-.+)$");

    private String topic;
    private AtomicLong counter = new AtomicLong();
    private String application;

    /** @param key a key for {@link #COUNTER} @param deadLetters the counter dead letters add to */
    public static void register(String key, AtomicLong deadLetters) {
        COUNTERS.put(key, deadLetters);
    }

    @Override
    public void configure(Map<String, ?> configs) {
        topic = (String) configs.get(DEAD_LETTER_TOPIC);
        application = String.valueOf(configs.get(StreamsConfig.APPLICATION_ID_CONFIG));
        AtomicLong c = COUNTERS.get(String.valueOf(configs.get(COUNTER)));
        if (c != null) {
            counter = c;
        }
    }

    /**
     * @param processor a processor's name
     * @param app       its application
     * @return the view it computes, or {@code null} if it is not a view's
     */
    static String view(String processor, String app) {
        if (processor == null) {
            return null;
        }
        if (app.contains("-view-") && OWN.matcher(processor).matches()) {
            int at = app.indexOf("-view-") + "-view-".length();
            int end = app.indexOf('-', at);
            return end > at ? app.substring(at, end) : app;
        }
        Matcher m = INSIDE.matcher(processor);
        return m.matches() ? m.group(1) : null;
    }

    @Override
    public Response handleError(ErrorHandlerContext ctx, Record<?, ?> record, Exception exception) {
        String view = view(ctx.processorNodeId(), application);
        if (view == null || topic == null) {
            return Response.fail();
        }
        counter.incrementAndGet();
        String reason = "view " + view + " could not process a record (processor " + ctx.processorNodeId() + "): " + exception;
        LOG.warn("Dead letter: {} topic=[{}] partition=[{}] offset=[{}]; the other views go on", reason, ctx.topic(), ctx.partition(),
                ctx.offset());
        RecordHeaders h = new RecordHeaders(ctx.headers().toArray());
        h.add(DeadLetter.REASON, utf8(reason));
        h.add(DeadLetter.TOPIC, utf8(ctx.topic()));
        h.add(DeadLetter.PARTITION, utf8(Integer.toString(ctx.partition())));
        h.add(DeadLetter.OFFSET, utf8(Long.toString(ctx.offset())));
        h.add(DeadLetter.APPLICATION, utf8(application));
        return Response.resume(List.of(new ProducerRecord<>(topic, null, ctx.sourceRawKey(), ctx.sourceRawValue(), h)));
    }

    private static byte[] utf8(String s) {
        return (s == null ? "" : s).getBytes(StandardCharsets.UTF_8);
    }
}
