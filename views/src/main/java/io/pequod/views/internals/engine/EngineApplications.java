package io.pequod.views.internals.engine;

import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.KafkaStreams;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every Kafka Streams application one engine runs, whatever part started it: the tables
 * applications ({@link TableLayout}), the view generations ({@link ViewGenerations}) and the
 * sources ({@link SourceApplications}). Any of the three may be {@code null} before the engine
 * started them.
 *
 * @param layout  the tables applications
 * @param views   the view generations
 * @param sources the sources' applications
 */
public record EngineApplications(TableLayout layout, ViewGenerations views, SourceApplications sources) {
    /** @return each application's Streams state, by application id */
    public Map<String, KafkaStreams.State> states() {
        Map<String, KafkaStreams.State> out = new LinkedHashMap<>();
        clients().forEach((id, ks) -> out.put(id, ks.state()));
        return out;
    }

    /** @return every application's Streams client, by application id (the caller must not close them) */
    public Map<String, KafkaStreams> clients() {
        Map<String, KafkaStreams> out = new LinkedHashMap<>();
        if (layout != null) {
            out.putAll(layout.all());
        }
        if (views != null) {
            out.putAll(views.running());
        }
        if (sources != null) {
            out.putAll(sources.running());
        }
        return out;
    }

    /** @return each application's Kafka Streams metrics ({@link KafkaStreams#metrics()}), by application id */
    public Map<String, Map<MetricName, ? extends Metric>> metrics() {
        Map<String, Map<MetricName, ? extends Metric>> out = new LinkedHashMap<>();
        clients().forEach((id, ks) -> out.put(id, ks.metrics()));
        return out;
    }

    /** @return the applications that stopped on an unexpected error (Streams' ERROR, after {@code SHUTDOWN_CLIENT}) */
    public List<String> failed() {
        return states().entrySet().stream().filter(e -> e.getValue() == KafkaStreams.State.ERROR
                || e.getValue() == KafkaStreams.State.PENDING_ERROR).map(Map.Entry::getKey).toList();
    }

    /**
     * Stops every application, side by side, leaving their groups, then the engine's admin client.
     *
     * @param settings the engine's Streams settings
     * @param parts    the engine's parts, or {@code null}
     */
    public void closeAll(StreamsSettings settings, EngineParts parts) {
        Map<String, KafkaStreams> all = new LinkedHashMap<>();
        if (sources != null) {
            all.putAll(sources.takeAll());
        }
        if (views != null) {
            all.putAll(views.takeAll());
        }
        if (layout != null) {
            all.putAll(layout.all());
        }
        settings.closeAll(all);
        if (parts != null) {
            parts.admin().close();
        }
    }
}
