package io.pequod.embedded;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** File helpers for temporary runtime directories. */
public final class Files2 {
    private static final Logger LOG = LoggerFactory.getLogger(Files2.class);

    private Files2() {
    }

    /**
     * Deletes a directory tree, best effort (a failure is logged).
     *
     * @param root the directory (nothing happens if it does not exist)
     */
    public static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.warn("Could not delete {}: {}", root, e.toString());
        }
    }
}
