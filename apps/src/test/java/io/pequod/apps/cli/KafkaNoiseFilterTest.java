package io.pequod.apps.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.spi.FilterReply;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class KafkaNoiseFilterTest {
    private final KafkaNoiseFilter filter = new KafkaNoiseFilter();
    private final LoggerContext context = new LoggerContext();

    private FilterReply decide(String logger, Level level, String message) {
        LoggingEvent e = new LoggingEvent(null, context.getLogger(logger), level, message, null, null);
        return filter.decide(e);
    }

    @Test
    void dropsOnlyTheExpectedNoise() {
        assertEquals(FilterReply.DENY, decide("org.apache.kafka.clients.admin.internals.PartitionLeaderStrategy", Level.ERROR,
                "[AdminClient clientId=x-admin] Received unknown topic error for topic x-j0-contrib-changelog"));
        assertEquals(FilterReply.DENY, decide("org.apache.kafka.streams.processor.internals.assignment.DefaultStandbyTaskAssignor",
                Level.WARN, "Unable to assign 1 of 1 standby tasks for task [0_7]. There is not enough available capacity."));
        assertEquals(FilterReply.NEUTRAL, decide("org.apache.kafka.clients.admin.internals.PartitionLeaderStrategy", Level.ERROR,
                "[AdminClient clientId=x-admin] Received authorization failure for topic x"), "other errors still show");
        assertEquals(FilterReply.NEUTRAL, decide("io.pequod.views.ViewEngine", Level.ERROR, "Received unknown topic error for topic t"));
    }
}
