/**
 * What the table stores applied: offsets for read-your-writes, read-modify-write results, per-
 * table statistics.
 */
package io.pequod.views.progress;
