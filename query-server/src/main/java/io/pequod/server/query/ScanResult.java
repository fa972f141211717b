package io.pequod.server.query;

import java.util.List;

/**
 * Entries of a range in ascending key order.
 *
 * @param entries the entries
 * @param more    whether the limit cut the range short
 */
public record ScanResult(List<Entry> entries, boolean more) {
}
