package io.pequod.apps.chaos;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A {@code pequod serve} in a JVM of its own, as a user runs it, so that it can be killed for
 * real ({@code kill -9}: no shutdown hook, no clean close, the OS keeps only what was written).
 * Its output goes to {@code serve.log} in its data directory.
 */
public final class ServeProcess implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    private final String name;
    private final List<String> command;
    private final Path log;
    private final int httpPort;
    private Process process;

    /**
     * @param name       a name for messages
     * @param dataDir    its data directory (kept across restarts)
     * @param httpPort   its HTTP port (kept across restarts: its stores are kept under it)
     * @param serveArgs  the options of {@code serve} besides {@code --data-dir} and {@code --http-port}
     * @param jvmOptions extra JVM options (a fault to inject, say)
     */
    public ServeProcess(String name, Path dataDir, int httpPort, List<String> serveArgs, List<String> jvmOptions) {
        this.name = name;
        this.httpPort = httpPort;
        this.log = dataDir.resolve("serve.log");
        List<String> c = new ArrayList<>();
        c.add(ProcessHandle.current().info().command().orElse("java"));
        c.addAll(List.of("-XX:FreqInlineSize=100", "-XX:InlineSmallCode=1000", "-Xmx768m"));
        c.addAll(classDataSharing());
        c.addAll(jvmOptions);
        c.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.pequod.apps.cli.PequodCli", "serve",
                "--data-dir", dataDir.toString(), "--http-port", Integer.toString(httpPort)));
        c.addAll(serveArgs);
        this.command = List.copyOf(c);
    }

    /**
     * @return the options that map the launcher's class-data archive, as {@code ./pequod serve}
     * does (see the launcher), when there is one newer than the jar; none otherwise
     */
    private static List<String> classDataSharing() {
        String home = System.getenv("PEQUOD_HOME");
        if (home == null) {
            return List.of();
        }
        Path target = Path.of(home, "apps", "target");
        try (Stream<Path> files = Files.list(target)) {
            long jar = Files.getLastModifiedTime(target.resolve("pequod.jar")).toMillis();
            for (Path p : files.filter(f -> f.getFileName().toString().matches("pequod-\\d+\\.jsa")).toList()) {
                if (Files.getLastModifiedTime(p).toMillis() > jar) {
                    return List.of("-Xlog:cds*=off", "-Xlog:class+path=off", "-XX:SharedArchiveFile=" + p);
                }
            }
        } catch (IOException noArchive) {
            // none
        }
        return List.of();
    }

    /** @return its name */
    public String name() {
        return name;
    }

    /** @return its HTTP base URL */
    public String url() {
        return "http://127.0.0.1:" + httpPort;
    }

    /** @return its HTTP port */
    public int httpPort() {
        return httpPort;
    }

    /** Starts it (again). @return this */
    public ServeProcess start() throws IOException {
        Files.createDirectories(log.getParent());
        process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        return this;
    }

    /** @return whether its JVM runs */
    public boolean alive() {
        return process != null && process.isAlive();
    }

    /** {@code kill -9}: no shutdown hook runs. Waits until the process is gone. */
    public void kill() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** SIGTERM: a clean stop (it leaves its groups); waits up to a minute, then kills it. */
    public void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                kill();
            }
        }
    }

    /** @return whether it answers {@code GET path} with 200 now */
    public boolean answers(String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(url() + path)).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Waits until it is UP and answers a read of a view.
     *
     * @param viewRead a path that reads a view
     * @param timeout  how long to wait
     * @return the milliseconds waited
     * @throws IllegalStateException if it died or did not get there in time (naming its log)
     */
    public long awaitServing(String viewRead, Duration timeout) throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        while (!(answers("/health") && answers(viewRead))) {
            if (!alive() || System.nanoTime() > deadline) {
                throw new IllegalStateException(name + " did not serve within " + timeout.toSeconds() + " s"
                        + (alive() ? "" : " (it exited)") + "; see " + log);
            }
            Thread.sleep(50);
        }
        return (System.nanoTime() - start) / 1_000_000;
    }

    /** Kills it if it still runs. */
    @Override
    public void close() throws InterruptedException {
        kill();
    }
}
