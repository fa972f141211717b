package io.pequod.server;

import io.pequod.embedded.EmbeddedRuntime;
import io.pequod.embedded.Files2;
import io.pequod.views.spec.JoinSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;

/**
 * An embedded broker and registry with one Pequod server on them, for workloads and benchmarks
 * that run without a cluster, all in temporary directories. Closing it stops all three and deletes
 * the directories.
 */
public final class AllInOne implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AllInOne.class);
    private final EmbeddedRuntime runtime;
    private final PequodServer server;
    private final Path dataDir;

    private AllInOne(EmbeddedRuntime runtime, PequodServer server, Path dataDir) {
        this.runtime = runtime;
        this.server = server;
        this.dataDir = dataDir;
    }

    /**
     * Starts the runtime and a server on free ports (Redis port on), waiting until it runs.
     *
     * @param namespace the namespace
     * @param spec      the joins
     * @param tables    tables to create at start
     * @return the running all-in-one
     * @throws Exception if anything fails to start
     */
    public static AllInOne start(String namespace, JoinSpec spec, Set<String> tables) throws Exception {
        System.err.println("starting an embedded broker, registry and Pequod server ...");
        long t0 = System.nanoTime();
        EmbeddedRuntime rt = EmbeddedRuntime.start(null);
        Path dir = null;
        try {
            dir = Files.createTempDirectory("pequod-" + namespace + "-");
            PequodServer s = PequodServer.builder().bootstrapServers(rt.bootstrapServers()).schemaRegistryUrl(rt.schemaRegistryUrl())
                    .namespace(namespace).spec(spec).tables(tables).dataDir(dir)
                    .httpPort(0).respPort(0).build().start();
            if (!s.awaitRunning(Duration.ofMinutes(2))) {
                s.close();
                throw new IllegalStateException("the server did not start: " + s.engine().state());
            }
            LOG.info("All-in-one running after {} ms", (System.nanoTime() - t0) / 1_000_000);
            return new AllInOne(rt, s, dir);
        } catch (Exception | Error e) {
            rt.close();
            if (dir != null) {
                Files2.deleteRecursively(dir);
            }
            throw e;
        }
    }

    /** @return the server */
    public PequodServer server() {
        return server;
    }

    /** @return the embedded broker and registry */
    public EmbeddedRuntime runtime() {
        return runtime;
    }

    /** @return the server's HTTP base URL */
    public String url() {
        return server.config().httpScheme() + "://127.0.0.1:" + server.httpPort();
    }

    @Override
    public void close() {
        long t0 = System.nanoTime();
        // The registry child process stops while the server does; the broker goes last.
        Thread registry = new Thread(() -> runtime.registry().close(), "pequod-stop-registry");
        registry.start();
        server.close();
        long t1 = System.nanoTime();
        runtime.kafka().close();
        Files2.deleteRecursively(dataDir); // the server's Streams state: temporary, like the broker's
        long t2 = System.nanoTime();
        try {
            registry.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.info("Stopped: server {} ms, broker {} ms, registry after {} ms", (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000,
                (System.nanoTime() - t0) / 1_000_000);
    }
}
