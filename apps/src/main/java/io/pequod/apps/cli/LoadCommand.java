package io.pequod.apps.cli;

import io.pequod.ingest.BulkLoader;
import io.pequod.ingest.ChangeWriter;
import io.pequod.ingest.Progress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code pequod load FILE}. */
@Command(name = "load", mixinStandardHelpOptions = true,
        description = {"Load JSON lines: {\"key\": K, \"value\": V} puts, {\"key\": K, \"erase\": true} erases.",
                "Bad lines are reported with their line number and skipped; exit code 3 if any was skipped or failed."})
final class LoadCommand implements Callable<Integer> {
    @Mixin
    WriterOptions options;

    @Parameters(index = "0", paramLabel = "FILE", description = "A JSON-lines file.")
    Path file;

    @Option(names = "--no-progress", description = "Do not draw a progress bar.")
    boolean noProgress;

    @Override
    public Integer call() throws Exception {
        BulkLoader.Summary s;
        try (ChangeWriter w = options.open()) {
            s = new BulkLoader(w, System.err, !noProgress && Progress.interactive()).load(file);
        }
        System.out.printf(Locale.ROOT, "{\"records\":%d,\"skipped\":%d,\"failed\":%d,\"bytes\":%d,\"seconds\":%.3f,\"records_per_sec\":%.0f}%n",
                s.records(), s.skipped(), s.failed(), s.bytes(), s.seconds(), s.recordsPerSecond());
        return s.complete() ? 0 : 3;
    }
}
