package io.pequod.embedded;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;

/**
 * A real Confluent-compatible schema registry, Apicurio Registry, run as a child process bound
 * to 127.0.0.1 and stopped with this JVM.
 *
 * <p>The distribution (a tar.gz on Maven Central) is fetched into the local Maven repository by
 * the build and unpacked on first use into {@code ~/.cache/pequod/}. Schemas are kept in an H2
 * database file under the data directory, so schema ids stay valid across restarts, as the ids
 * in the records of a persistent broker require. The registry's global compatibility level is
 * set to {@code BACKWARD}, Confluent's default. Confluent's API is served under
 * {@link #url()} ({@code http://127.0.0.1:PORT/apis/ccompat/v7}). A registry made with
 * {@link #inKafka} keeps its schemas in a Kafka topic instead, as a registry shared by a cluster's
 * instances does ({@code compose/}).
 */
public final class EmbeddedSchemaRegistry implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedSchemaRegistry.class);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);
    /** Path of Confluent's API in Apicurio. */
    public static final String CCOMPAT_PATH = "/apis/ccompat/v7";

    private final Path dataDir;
    private final int requestedPort;
    /** The bootstrap servers of the cluster that keeps the schemas, or {@code null} for the H2 file. */
    private final String kafkaSql;
    private Path tempDir;
    private Process process;
    private Thread shutdownHook;
    private int port;
    /** Where this run's JVM writes a class-data archive at exit (first run on this JVM), or {@code null}. */
    private Path archiveBeingWritten;
    private Path archive;

    private EmbeddedSchemaRegistry(Path dataDir, int port, String kafkaSql) {
        this.dataDir = dataDir;
        this.requestedPort = Ports.check(port, "port");
        this.kafkaSql = kafkaSql;
    }

    /**
     * @param dataDir where the registry keeps its schemas, or {@code null} for a temporary directory
     * @param port    the HTTP port on 127.0.0.1, 0 for a free one
     * @return a registry, not yet started
     */
    public static EmbeddedSchemaRegistry create(Path dataDir, int port) {
        return new EmbeddedSchemaRegistry(dataDir, port, null);
    }

    /**
     * A registry that keeps its schemas in Kafka (Apicurio's {@code kafkasql} storage: a journal
     * topic, replayed at start), as a registry shared by several instances should.
     *
     * @param dataDir   where the registry keeps its log, or {@code null} for a temporary directory
     * @param port      the HTTP port on 127.0.0.1, 0 for a free one
     * @param bootstrap the Kafka cluster that keeps the schemas
     * @return a registry, not yet started
     */
    public static EmbeddedSchemaRegistry inKafka(Path dataDir, int port, String bootstrap) {
        return new EmbeddedSchemaRegistry(dataDir, port, Objects.requireNonNull(bootstrap, "bootstrap cannot be null"));
    }

    private List<String> storage(Path storeDir) {
        if (kafkaSql != null) {
            return List.of("-Dapicurio.storage.kind=kafkasql", "-Dapicurio.kafkasql.bootstrap.servers=" + kafkaSql);
        }
        return List.of("-Dapicurio.storage.kind=sql",
                "-Dapicurio.storage.sql.kind=h2",
                "-Dapicurio.datasource.url=jdbc:h2:file:" + storeDir.resolve("schemas").toAbsolutePath() + ";DB_CLOSE_ON_EXIT=FALSE",
                "-Dapicurio.datasource.jdbc.initial-size=2",
                "-Dapicurio.datasource.jdbc.min-size=2",
                "-Dapicurio.datasource.jdbc.max-size=20");
    }

    /**
     * Unpacks the distribution if needed, starts the registry and waits until it answers.
     *
     * @return this registry, started
     * @throws EmbeddedRuntimeException if the distribution is missing or the registry does not start
     */
    public synchronized EmbeddedSchemaRegistry start() {
        if (process != null) {
            throw new IllegalStateException("Embedded schema registry is already started at " + url());
        }
        long t0 = System.nanoTime();
        try {
            Path home = Distribution.unpacked();
            Path dir = dataDir != null ? dataDir : (tempDir = Files.createTempDirectory("pequod-registry-"));
            Path storeDir = Files.createDirectories(dir.resolve("registry"));
            port = requestedPort == 0 ? Ports.free() : requestedPort;
            // The registry's own main class runs under a watchdog that stops it when this JVM is gone,
            // even killed with SIGKILL (when the shutdown hook below cannot run).
            Path runner = home.resolve(Distribution.RUNNER_JAR);
            String classPath = runner + File.pathSeparator + watchdogJar(home);
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.addAll(classDataSharing(home, classPath));
            cmd.addAll(List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xms64m", "-Xmx384m",
                    "-Dquarkus.http.host=127.0.0.1",
                    "-Dquarkus.http.port=" + port,
                    "-Dquarkus.management.enabled=false",
                    "-Dquarkus.log.level=WARN",
                    "-Dquarkus.http.access-log.enabled=false"));
            cmd.addAll(storage(storeDir));
            cmd.addAll(List.of("-cp", classPath, ParentWatchdog.class.getName(), Long.toString(ProcessHandle.current().pid()),
                    mainClass(runner)));
            Path log = storeDir.resolve("registry.log");
            process = new ProcessBuilder(cmd)
                    .directory(storeDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
            Process child = process;
            shutdownHook = new Thread(() -> stop(child), "pequod-registry-stopper");
            Runtime.getRuntime().addShutdownHook(shutdownHook);
            awaitReady(log);
            setGlobalCompatibility("BACKWARD");
        } catch (IOException | InterruptedException e) {
            close();
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new EmbeddedRuntimeException("Could not start the embedded schema registry: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        LOG.info("Embedded schema registry listening on {} (pid {}), started in {} ms", url(), process.pid(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        return this;
    }

    /** @return the base URL of Confluent's Schema Registry API, for {@code schema.registry.url} */
    public String url() {
        return "http://127.0.0.1:" + port + CCOMPAT_PATH;
    }

    /** @return the operating-system process id of the registry, or -1 when it is not running */
    public synchronized long pid() {
        return process == null ? -1 : process.pid();
    }

    private void awaitReady(Path log) throws InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest probe = HttpRequest.newBuilder(URI.create(url() + "/subjects"))
                .timeout(Duration.ofSeconds(5)).GET().build();
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new EmbeddedRuntimeException("The schema registry process exited with code "
                        + process.exitValue() + " during startup; see " + log, null);
            }
            try {
                if (http.send(probe, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new EmbeddedRuntimeException("The schema registry did not answer on " + url() + " within "
                + READY_TIMEOUT.toSeconds() + " s; see " + log, null);
    }

    private void setGlobalCompatibility(String level) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest put = HttpRequest.newBuilder(URI.create(url() + "/config"))
                .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"compatibility\":\"" + level + "\"}"))
                .build();
        HttpResponse<String> r = http.send(put, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new EmbeddedRuntimeException("The schema registry refused compatibility " + level + ": HTTP "
                    + r.statusCode() + " " + r.body(), null);
        }
    }

    /** @return whether the process exited on its own after being asked to */
    private static boolean stop(Process p) {
        p.destroy();
        try {
            if (p.waitFor(10, TimeUnit.SECONDS)) {
                return true;
            }
            p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        return false;
    }

    /**
     * Class-data sharing for the registry's JVM (JDK 13+ dynamic archives): the first run on a
     * given JVM writes the classes it loaded into an archive when it exits; later runs map that
     * archive instead of loading and verifying thousands of classes again (start-up about a third
     * faster). An archive that does not fit the JVM is ignored by the JVM itself.
     */
    private List<String> classDataSharing(Path home, String classPath) {
        String jvm = Integer.toHexString((System.getProperty("java.home") + Runtime.version() + classPath).hashCode());
        deleteAbandonedArchives(home);
        archive = home.resolve("registry-" + jvm + ".jsa");
        deleteStaleArchives(home, archive);
        if (Files.isRegularFile(archive)) {
            try {
                Files.setLastModifiedTime(archive, FileTime.fromMillis(System.currentTimeMillis()));
            } catch (IOException ignored) {
                // a read-only cache: the archive is still used, only its age is not recorded
            }
            return List.of("-XX:SharedArchiveFile=" + archive);
        }
        archiveBeingWritten = home.resolve("registry-" + jvm + "-" + ProcessHandle.current().pid() + "-" + System.nanoTime() + ".jsa.tmp");
        return List.of("-XX:ArchiveClassesAtExit=" + archiveBeingWritten);
    }

    /**
     * The {@link ParentWatchdog} class in a jar of its own next to the distribution (named by its
     * content, written once), so that the registry's class path holds jars only, as class-data
     * archives require.
     */
    private static Path watchdogJar(Path home) throws IOException {
        String entry = ParentWatchdog.class.getName().replace('.', '/') + ".class";
        byte[] bytes;
        try (InputStream in = ParentWatchdog.class.getClassLoader().getResourceAsStream(entry)) {
            bytes = Objects.requireNonNull(in, entry + " is missing").readAllBytes();
        }
        Path jar = home.resolve("pequod-watchdog-" + Integer.toHexString(Arrays.hashCode(bytes)) + ".jar");
        if (Files.isRegularFile(jar)) {
            return jar;
        }
        Path tmp = Files.createTempFile(home, "watchdog-", ".jar.tmp");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(tmp))) {
            JarEntry e = new JarEntry(entry);
            e.setTime(0);
            out.putNextEntry(e);
            out.write(bytes);
            out.closeEntry();
        }
        try {
            Files.move(tmp, jar, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException raced) {
            Files.deleteIfExists(tmp);
        }
        return jar;
    }

    private static String mainClass(Path runnerJar) throws IOException {
        try (JarFile jar = new JarFile(runnerJar.toFile())) {
            String main = jar.getManifest() == null ? null : jar.getManifest().getMainAttributes().getValue("Main-Class");
            if (main == null) {
                throw new EmbeddedRuntimeException(runnerJar + " names no Main-Class", null);
            }
            return main;
        }
    }

    /**
     * Deletes archives that registries wrote at exit for a parent that did not publish them (it
     * was killed, and the registry stopped by itself): {@code registry-<jvm>-<parent pid>-<n>.jsa.tmp}
     * whose parent is gone.
     */
    private static void deleteAbandonedArchives(Path home) {
        try (var files = Files.list(home)) {
            files.filter(f -> f.getFileName().toString().matches("registry-[0-9a-f]+-\\d+-\\d+\\.jsa\\.tmp")).forEach(f -> {
                long pid = Long.parseLong(f.getFileName().toString().split("-")[2]);
                if (ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true)) {
                    try {
                        Files.deleteIfExists(f);
                    } catch (IOException ignored) {
                        // another start deleted it, or it cannot be: harmless
                    }
                }
            });
        } catch (IOException ignored) {
            // nothing to clean
        }
    }

    /**
     * Keeps the archives of the {@value #ARCHIVES_KEPT} JVMs and class paths used most recently
     * (each start marks its archive used), besides this start's: every other build or JDK would
     * otherwise leave ~65 MB behind in the cache. A deleted archive still mapped by a running
     * registry stays readable to it.
     */
    static void deleteStaleArchives(Path home, Path current) {
        try (var files = Files.list(home)) {
            List<Path> others = files.filter(f -> f.getFileName().toString().matches("registry-[0-9a-f]+\\.jsa") && !f.equals(current))
                    .sorted(Comparator.comparing((Path f) -> {
                        try {
                            return Files.getLastModifiedTime(f).toMillis();
                        } catch (IOException gone) {
                            return 0L;
                        }
                    }).reversed()).toList();
            for (Path f : others.subList(Math.min(others.size(), ARCHIVES_KEPT - 1), others.size())) {
                try {
                    Files.deleteIfExists(f);
                } catch (IOException ignored) {
                    // another start deleted it, or it cannot be: harmless
                }
            }
        } catch (IOException ignored) {
            // nothing to clean
        }
    }

    static final int ARCHIVES_KEPT = 2;

    /** Publishes the archive the registry wrote at exit, if it exited cleanly and wrote one. */
    private void publishArchive(boolean exitedCleanly) {
        Path tmp = archiveBeingWritten;
        archiveBeingWritten = null;
        if (tmp == null) {
            return;
        }
        try {
            if (exitedCleanly && Files.size(tmp) > 0) {
                Files.move(tmp, archive, StandardCopyOption.ATOMIC_MOVE);
                LOG.info("Wrote the registry's class-data archive {}", archive);
            }
        } catch (IOException e) {
            LOG.debug("No class-data archive for the registry: {}", e.toString());
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // a leftover temporary file in the cache is harmless
            }
        }
    }

    /** Stops the registry process (and deletes a temporary data directory). Idempotent. */
    @Override
    public synchronized void close() {
        if (process != null) {
            publishArchive(stop(process));
            process = null;
        }
        if (shutdownHook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs anyway
            }
            shutdownHook = null;
        }
        if (tempDir != null) {
            Files2.deleteRecursively(tempDir);
            tempDir = null;
        }
    }

    /** Locates and unpacks the Apicurio distribution. */
    static final class Distribution {
        static final String VERSION;
        static final String RUNNER_JAR;
        private static final Path ARCHIVE;

        static {
            Properties p = new Properties();
            try (InputStream in = EmbeddedSchemaRegistry.class.getResourceAsStream("registry.properties")) {
                p.load(Objects.requireNonNull(in, "registry.properties is missing from the embedded jar"));
            } catch (IOException e) {
                throw new ExceptionInInitializerError(e);
            }
            VERSION = p.getProperty("apicurio.version");
            RUNNER_JAR = "apicurio-registry-app-" + VERSION + "-runner.jar";
            ARCHIVE = Path.of(p.getProperty("apicurio.archive"));
        }

        private Distribution() {
        }

        /** @return {@code $XDG_CACHE_HOME/pequod}, else {@code ~/.cache/pequod} (the XDG base directory convention) */
        static Path cacheDir() {
            String xdg = System.getenv("XDG_CACHE_HOME");
            return (xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache")).resolve("pequod");
        }

        static synchronized Path unpacked() throws IOException {
            Path cache = cacheDir();
            Path home = cache.resolve("apicurio-registry-" + VERSION);
            if (Files.exists(home.resolve(RUNNER_JAR))) {
                return home;
            }
            if (!Files.isRegularFile(ARCHIVE)) {
                throw new EmbeddedRuntimeException("The Apicurio Registry distribution is missing at " + ARCHIVE
                        + "; build the project with Maven (mvn -B install -DskipTests) to fetch it", null);
            }
            LOG.info("Unpacking {} into {}", ARCHIVE, home);
            Files.createDirectories(cache);
            Path tmp = Files.createTempDirectory(cache, "unpack-");
            try (InputStream in = new TarArchiveInputStream(new GzipCompressorInputStream(
                    new BufferedInputStream(Files.newInputStream(ARCHIVE))))) {
                TarArchiveInputStream tar = (TarArchiveInputStream) in;
                TarArchiveEntry e;
                while ((e = tar.getNextEntry()) != null) {
                    Path target = tmp.resolve(e.getName()).normalize();
                    if (!target.startsWith(tmp)) {
                        throw new IOException("Archive entry escapes the target directory: " + e.getName());
                    }
                    if (e.isDirectory()) {
                        Files.createDirectories(target);
                    } else {
                        Files.createDirectories(target.getParent());
                        Files.copy(tar, target, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
            try {
                Files.move(tmp, home, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | DirectoryNotEmptyException | AtomicMoveNotSupportedException raced) {
                Files2.deleteRecursively(tmp); // another process unpacked it first
            }
            return home;
        }
    }
}
