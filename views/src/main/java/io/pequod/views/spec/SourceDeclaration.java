package io.pequod.views.spec;

import io.pequod.ingest.source.RowTemplate;
import io.pequod.ingest.source.SourceFormat;

/**
 * A declared source: a base table fed from a user's topic, written
 * {@code source TABLE from topic 'NAME' format F key 'TEMPLATE' value 'TEMPLATE' [start earliest|latest]}.
 *
 * @param table       the table it feeds (only sources write it)
 * @param topic       the user's topic
 * @param format      how the topic's records are encoded
 * @param key         the key template (starts with {@code TABLE|})
 * @param value       the value template
 * @param startLatest whether a new source skips the topic's history
 * @param text        the declaration as written, normalized (what makes two declarations the same)
 * @param position    where it starts
 */
public record SourceDeclaration(String table, String topic, SourceFormat format, RowTemplate key, RowTemplate value,
                                boolean startLatest, String text, SourcePosition position) {
    /** @return the format as written in a spec ({@code debezium-json}, ...) */
    public String formatName() {
        return format.written();
    }
}
