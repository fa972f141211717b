package io.pequod.ingest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pequod.schemas.PequodException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Loads JSON lines into tables through a {@link ChangeWriter}: {@code {"key": K, "value": V}} puts,
 * {@code {"key": K, "erase": true}} erases. A value that is not a string is written as its JSON
 * text. A bad line (unreadable JSON, missing key, invalid key or value) is reported with its line
 * number and skipped; the rest still loads. Blank lines are ignored.
 */
public final class BulkLoader {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ChangeWriter writer;
    private final PrintStream errors;
    private final boolean progress;

    /**
     * @param writer   the writer to load through (cannot be {@code null})
     * @param errors   where skipped lines are reported, and the progress bar drawn
     * @param progress whether to draw a progress bar
     */
    public BulkLoader(ChangeWriter writer, PrintStream errors, boolean progress) {
        this.writer = writer;
        this.errors = errors;
        this.progress = progress;
    }

    /**
     * What a load did.
     *
     * @param records lines written
     * @param skipped lines skipped as bad
     * @param failed  writes Kafka did not acknowledge
     * @param bytes   bytes of input read
     * @param seconds wall time
     */
    public record Summary(long records, long skipped, long failed, long bytes, double seconds) {
        /** @return records written per second */
        public double recordsPerSecond() {
            return seconds > 0 ? records / seconds : 0;
        }

        /** @return whether every line was written */
        public boolean complete() {
            return skipped == 0 && failed == 0;
        }
    }

    /**
     * @param file a JSON-lines file (cannot be {@code null})
     * @return the summary
     * @throws IOException if the file cannot be read
     */
    public Summary load(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return load(in, Files.size(file), file.toString());
        }
    }

    /**
     * @param in     JSON lines (cannot be {@code null})
     * @param size   its size in bytes if known, else 0
     * @param source the input's name for messages
     * @return the summary
     * @throws IOException if the input cannot be read
     */
    public Summary load(InputStream in, long size, String source) throws IOException {
        long t0 = System.nanoTime();
        Progress bar = new Progress(errors, "load", "records", size, progress);
        AtomicLong failed = new AtomicLong();
        AtomicReference<String> firstFailure = new AtomicReference<>();
        long records = 0;
        long skipped = 0;
        long bytes = 0;
        long lineNo = 0;
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16);
        String line;
        while ((line = r.readLine()) != null) {
            lineNo++;
            bytes += line.getBytes(StandardCharsets.UTF_8).length + 1;
            if (line.isBlank()) {
                continue;
            }
            try {
                writeLine(line).whenComplete((pos, e) -> {
                    if (e != null) {
                        failed.incrementAndGet();
                        firstFailure.compareAndSet(null, e.getMessage());
                    }
                });
                records++;
            } catch (LineException | PequodException e) {
                skipped++;
                errors.println((progress ? "\n" : "") + source + ":" + lineNo + ": skipped: " + e.getMessage());
            }
            bar.update(bytes, records);
        }
        try {
            writer.flush();
        } catch (WriteFailedException counted) {
            // each failed write was counted above, with the first one's reason
        }
        bar.finish(bytes, records);
        if (firstFailure.get() != null) {
            errors.println(source + ": " + failed.get() + " writes failed; first: " + firstFailure.get());
        }
        return new Summary(records - failed.get(), skipped, failed.get(), bytes, (System.nanoTime() - t0) / 1e9);
    }

    private CompletableFuture<?> writeLine(String line) {
        JsonNode n;
        try {
            n = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new LineException("unreadable JSON: " + e.getOriginalMessage());
        }
        if (n == null || !n.isObject()) {
            throw new LineException("expected a JSON object {\"key\": ..., \"value\": ...}");
        }
        JsonNode key = n.get("key");
        if (key == null || !key.isTextual()) {
            throw new LineException("missing string field \"key\"");
        }
        if (n.path("erase").asBoolean(false)) {
            return writer.erase(key.asText());
        }
        JsonNode value = n.get("value");
        if (value == null || value.isNull()) {
            throw new LineException("missing field \"value\" for key '" + key.asText() + "' (or \"erase\": true)");
        }
        return writer.put(key.asText(), value.isTextual() ? value.asText() : value.toString());
    }

    private static final class LineException extends RuntimeException {
        LineException(String message) {
            super(message, null, false, false);
        }
    }
}
