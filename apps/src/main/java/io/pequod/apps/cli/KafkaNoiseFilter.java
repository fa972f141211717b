package io.pequod.apps.cli;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;

/**
 * Drops log events of Kafka's clients that report, as errors, conditions their callers expect and
 * retry: Kafka Streams' admin client asks for the offsets of internal topics (changelogs,
 * repartition topics) while they are being created, and Kafka's {@code PartitionLeaderStrategy}
 * logs every "unknown topic" answer at ERROR (about a thousand lines when a few views start),
 * although Streams retries and goes on. A healthy run prints no ERROR line; a real failure still
 * reaches the caller, which reports it. Also dropped: Streams' warning, for every task at every
 * rebalance, that a standby copy cannot be placed while an instance is alone; the engine says
 * that once at start. Named in {@code logback.xml}.
 */
public final class KafkaNoiseFilter extends Filter<ILoggingEvent> {
    private static final String LEADER_STRATEGY = "org.apache.kafka.clients.admin.internals.PartitionLeaderStrategy";
    private static final String STANDBY_ASSIGNOR = "org.apache.kafka.streams.processor.internals.assignment.DefaultStandbyTaskAssignor";

    @Override
    public FilterReply decide(ILoggingEvent event) {
        String m = event.getFormattedMessage();
        if (m == null) {
            return FilterReply.NEUTRAL;
        }
        if (LEADER_STRATEGY.equals(event.getLoggerName()) && m.contains("Received unknown topic error for topic")
                || STANDBY_ASSIGNOR.equals(event.getLoggerName()) && m.startsWith("Unable to assign")) {
            return FilterReply.DENY;
        }
        return FilterReply.NEUTRAL;
    }
}
