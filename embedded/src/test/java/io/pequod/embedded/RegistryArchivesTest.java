package io.pequod.embedded;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RegistryArchivesTest {
    @Test
    void shouldKeepTheCurrentArchiveAndTheMostRecentlyUsedOtherOnly(@TempDir Path home) throws Exception {
        long now = System.currentTimeMillis();
        archive(home, "registry-aaaa.jsa", now - 50_000);
        archive(home, "registry-bbbb.jsa", now - 10_000); // used most recently of the others
        archive(home, "registry-cccc.jsa", now - 90_000);
        archive(home, "registry-dddd.jsa", now - 900_000); // the current one, however old
        archive(home, "registry-eeee-123-456.jsa.tmp", now - 900_000); // being written: not this method's
        archive(home, "apicurio-registry-app-3.0.9-runner.jar", now - 900_000);

        EmbeddedSchemaRegistry.deleteStaleArchives(home, home.resolve("registry-dddd.jsa"));

        assertEquals(Set.of("registry-bbbb.jsa", "registry-dddd.jsa", "registry-eeee-123-456.jsa.tmp",
                "apicurio-registry-app-3.0.9-runner.jar"), names(home));
        assertEquals(2, EmbeddedSchemaRegistry.ARCHIVES_KEPT);
    }

    @Test
    void shouldKeepEverythingWhenFewArchivesExist(@TempDir Path home) throws Exception {
        archive(home, "registry-aaaa.jsa", System.currentTimeMillis());
        EmbeddedSchemaRegistry.deleteStaleArchives(home, home.resolve("registry-ffff.jsa")); // not written yet
        assertEquals(Set.of("registry-aaaa.jsa"), names(home));
    }

    private static void archive(Path home, String name, long mtime) throws Exception {
        Path f = Files.writeString(home.resolve(name), name);
        Files.setLastModifiedTime(f, FileTime.fromMillis(mtime));
    }

    private static Set<String> names(Path home) throws Exception {
        try (Stream<Path> s = Files.list(home)) {
            return s.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }
}
