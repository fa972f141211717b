package io.pequod.schemas;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Names of Pequod's topics in a namespace: the table topic {@code <ns>.<table>} and the
 * dead-letter topic {@code <ns>.dead-letters}.
 */
public final class TableTopics {
    /** Namespace used when none is given. */
    public static final String DEFAULT_NAMESPACE = "pequod";
    /** Namespaces are topic-name characters without dots. */
    /**
     * The topic configuration of every table topic, whoever creates it (the writer on first use,
     * the engine at start): log-compacted, so that the latest value of each key stays.
     */
    public static final Map<String, String> TABLE_TOPIC_CONFIG = Map.of("cleanup.policy", "compact",
            "max.message.bytes", Integer.toString(TableTopics.MAX_RECORD_BYTES));

    /**
     * The largest record batch Pequod's topics take and its producers send: a value of
     * {@link Key#MAX_VALUE_LENGTH} with its key, change envelope and batch overhead (Kafka's default
     * is 1 MB). Set on the topics Pequod creates ({@code max.message.bytes}) and on its producers
     * ({@code max.request.size}, {@code buffer.memory} twice as large).
     */
    public static final int MAX_RECORD_BYTES = Key.MAX_VALUE_LENGTH + 1024 * 1024;

    public static final Pattern NAMESPACE = Pattern.compile("[A-Za-z0-9_-]{1,100}");

    private final String namespace;

    private TableTopics(String namespace) {
        this.namespace = namespace;
    }

    /**
     * @param namespace the namespace (cannot be {@code null})
     * @return the topic names of that namespace
     * @throws IllegalArgumentException if the namespace is not 1 to 100 of [A-Za-z0-9_-]
     */
    public static TableTopics of(String namespace) {
        Objects.requireNonNull(namespace, "namespace cannot be null");
        if (!NAMESPACE.matcher(namespace).matches()) {
            throw new IllegalArgumentException("Invalid namespace '" + namespace + "': use 1 to 100 of [A-Za-z0-9_-]");
        }
        return new TableTopics(namespace);
    }

    /** @return the namespace */
    public String namespace() {
        return namespace;
    }

    /**
     * @param table a table name (cannot be {@code null})
     * @return its topic, {@code <ns>.<table>}
     */
    public String tableTopic(String table) {
        return namespace + "." + table;
    }

    /**
     * @param topic a topic name (cannot be {@code null})
     * @return the table whose topic it is, if it is a table topic of this namespace
     */
    public Optional<String> tableOf(String topic) {
        String prefix = namespace + ".";
        if (!topic.startsWith(prefix)) {
            return Optional.empty();
        }
        String t = topic.substring(prefix.length());
        return Key.TABLE_NAME.matcher(t).matches() && !t.equals("dead-letters") ? Optional.of(t) : Optional.empty();
    }

    /** @return the dead-letter topic, {@code <ns>.dead-letters} */
    public String deadLetters() {
        return namespace + ".dead-letters";
    }
}
