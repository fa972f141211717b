/**
 * What the table stores applied: offsets for read-your-writes, read-modify-write results, per-
 * table statistics; and how far each declared source is ({@link io.pequod.views.progress.SourceStatus}).
 */
package io.pequod.views.progress;
