package io.pequod.apps.cli;

import io.pequod.ingest.ChangeWriter;
import io.pequod.schemas.PartitionRule;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Options of commands that write: the connection and the partitions of new tables. */
public final class WriterOptions {
    @Mixin
    Connection connection;

    @Option(names = "--partitions", defaultValue = "8", paramLabel = "N",
            description = "Partitions of table topics created by this write. Default: ${DEFAULT-VALUE}.")
    int partitions;

    ChangeWriter open() {
        Connection.Resolved r = connection.resolve();
        return ChangeWriter.builder()
                .bootstrapServers(r.bootstrapServers())
                .schemaRegistryUrl(r.schemaRegistryUrl())
                .namespace(r.namespace())
                .partitions(partitions)
                .partitionRule(PartitionRule.parse(r.fixedWidths()))
                .build();
    }
}
