package io.pequod.views.spec;

/**
 * {@code table NAME partitions N}: the partition count of a table's topic when Pequod creates it.
 *
 * @param name       the table
 * @param partitions its partition count
 * @param position   where it was declared
 */
public record TableDeclaration(String name, int partitions, SourcePosition position) {
}
