/**
 * Writing changes to Pequod tables: the thread-safe {@link io.pequod.ingest.ChangeWriter}, bulk
 * loading of JSON lines, and topic creation.
 */
package io.pequod.ingest;
