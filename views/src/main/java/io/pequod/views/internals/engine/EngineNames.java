package io.pequod.views.internals.engine;

import io.pequod.schemas.TableTopics;
import io.pequod.views.internals.compile.TopologyFactory;
import io.pequod.views.spec.Join;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;

/**
 * The one place that knows how the engine names its Kafka Streams applications and the topics
 * they own, in a namespace {@code ns}:
 * <ul>
 *   <li>{@code <ns>-tables2}: the main tables application;</li>
 *   <li>{@code <ns>-table2-<table>}: a table discovered after start;</li>
 *   <li>{@code <ns>-tables2-<hash>}: tables installed together, or brought by an instance's joins;</li>
 *   <li>{@code <ns>-view-<view>-<definition>-g<generation>}: a view generation;</li>
 *   <li>{@code <application>-table-<table>-changelog}: a table store's changelog (Kafka Streams'
 *       {@code <application>-<store>-changelog} rule), which views read their sources from;</li>
 *   <li>{@code <application>-...-repartition}: an application's repartition topics;</li>
 *   <li>{@code <ns>-meta}: view generations, installed specs and the tables layout.</li>
 * </ul>
 *
 * <p>The tables applications' ids carry the format of their stores' values ({@link #STORE_FORMAT}):
 * stores of format 1 (plain values, up to December 2026) belonged to {@code <ns>-tables},
 * {@code <ns>-table-<t>} and {@code <ns>-tables-<hash>}. This version neither reads nor resumes
 * them: its applications start without committed offsets and rebuild their stores from the table
 * topics (compacted: every key's latest change), and the views, whose sources are these
 * applications' changelogs, move to a new generation. The old applications' topics and consumer
 * groups are left for the operator to delete.
 */
public final class EngineNames {
    /**
     * The format of table stores' values, in the tables applications' ids: 2 = each value carries
     * the offset of the change that made it ({@code StoredValue}).
     */
    static final String STORE_FORMAT = "2";

    /**
     * How a view application is built from its joins, part of its definition hash: a view built by
     * an earlier layout (format 1 read table topics into {@code src-*} stores) is rebuilt under a
     * new generation rather than resumed by a topology that reads other topics.
     */
    static final String VIEW_FORMAT = "view-format 2: sources from the tables application's changelogs";

    private final TableTopics topics;

    /** @param topics the namespace's topics */
    public EngineNames(TableTopics topics) {
        this.topics = topics;
    }

    /** @return the namespace's topics */
    public TableTopics topics() {
        return topics;
    }

    /** @return the main tables application's id */
    public String mainTablesApplication() {
        return topics.namespace() + "-tables" + STORE_FORMAT;
    }

    /**
     * @param id an application id recorded in {@code <ns>-meta}
     * @return whether it is a tables application of this store format (not one of an earlier version)
     */
    public boolean isTablesApplication(String id) {
        String ns = topics.namespace();
        return id.equals(mainTablesApplication()) || id.startsWith(ns + "-table" + STORE_FORMAT + "-")
                || id.startsWith(ns + "-tables" + STORE_FORMAT + "-");
    }

    /** @param table a table found after start @return the id of the application of its own */
    public String lateTableApplication(String table) {
        return topics.namespace() + "-table" + STORE_FORMAT + "-" + table;
    }

    /** @param tables tables materialized together @return their application's id (the same on every instance) */
    public String tablesApplication(Collection<String> tables) {
        return topics.namespace() + "-tables" + STORE_FORMAT + "-" + definitionHash(List.of(), List.copyOf(tables));
    }

    /** @return the id of a view generation's application */
    public String viewApplication(String view, String definition, int generation) {
        return topics.namespace() + "-view-" + view + "-" + definition + "-g" + generation;
    }

    /**
     * @param application the tables application that materializes {@code table}
     * @param table       a table
     * @return the changelog of the table's store there (Kafka Streams' naming)
     */
    public static String changelog(String application, String table) {
        return application + "-" + TopologyFactory.tableStore(table) + "-changelog";
    }

    /** @return whether {@code topic} is one of {@code application}'s repartition topics */
    public static boolean isRepartitionTopic(String application, String topic) {
        return topic.startsWith(application + "-") && topic.endsWith("-repartition");
    }

    /** @return the meta topic */
    public String metaTopic() {
        return topics.namespace() + "-meta";
    }

    /**
     * @param joins        a view's joins
     * @param sourceTopics the topics its application reads
     * @return the view's definition hash (8 hex digits)
     */
    public static String definitionHash(List<Join> joins, List<String> sourceTopics) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(VIEW_FORMAT.getBytes(StandardCharsets.UTF_8));
            md.update((byte) '\n');
            for (Join j : joins) {
                md.update(j.text().getBytes(StandardCharsets.UTF_8));
                md.update((byte) '\n');
            }
            for (String t : sourceTopics) {
                md.update(t.getBytes(StandardCharsets.UTF_8));
                md.update((byte) '\n');
            }
            return HexFormat.of().formatHex(md.digest()).substring(0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
