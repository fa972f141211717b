/**
 * Sources: the mapping of records of users' own topics (JSON, Avro, Debezium change events, text)
 * to changes of Pequod tables, by key and value templates ({@link io.pequod.ingest.source.RowTemplate}).
 * Decoding and mapping only: the views module runs the applications that apply it.
 */
package io.pequod.ingest.source;
