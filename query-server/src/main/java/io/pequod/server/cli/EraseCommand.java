package io.pequod.server.cli;

import io.pequod.ingest.ChangeWriter;
import io.pequod.schemas.WritePosition;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/** {@code pequod erase KEY}. */
@Command(name = "erase", mixinStandardHelpOptions = true, description = "Erase KEY (writes a tombstone); prints the write's position.")
final class EraseCommand implements Callable<Integer> {
    @Mixin
    WriterOptions options;

    @Parameters(index = "0", paramLabel = "KEY", description = "The key.")
    String key;

    @Override
    public Integer call() throws Exception {
        try (ChangeWriter w = options.open()) {
            WritePosition pos = w.erase(key).get(60, TimeUnit.SECONDS);
            System.out.println(pos.token());
        }
        return 0;
    }
}
