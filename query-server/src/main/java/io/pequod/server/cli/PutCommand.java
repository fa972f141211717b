package io.pequod.server.cli;

import io.pequod.ingest.ChangeWriter;
import io.pequod.schemas.WritePosition;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/** {@code pequod put KEY VALUE}. */
@Command(name = "put", mixinStandardHelpOptions = true, description = "Set KEY to VALUE; prints the write's position (its freshness token).")
final class PutCommand implements Callable<Integer> {
    @Mixin
    WriterOptions options;

    @Parameters(index = "0", paramLabel = "KEY", description = "The key, e.g. p|00000001|1000000000.")
    String key;

    @Parameters(index = "1", paramLabel = "VALUE", description = "The value.")
    String value;

    @Override
    public Integer call() throws Exception {
        try (ChangeWriter w = options.open()) {
            WritePosition pos = w.put(key, value).get(60, TimeUnit.SECONDS);
            System.out.println(pos.token());
        }
        return 0;
    }
}
