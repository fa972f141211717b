package io.pequod.embedded;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The registry's child process does not outlive the JVM that started it. */
@Timeout(240)
class EmbeddedSchemaRegistryIT {
    /** A parent JVM: starts a registry, prints its pid, waits to be killed. */
    public static final class Parent {
        public static void main(String[] args) throws Exception {
            EmbeddedSchemaRegistry r = EmbeddedSchemaRegistry.create(Path.of(args[0]), 0).start();
            System.out.println("REGISTRY_PID " + r.pid());
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        }
    }

    @Test
    void shouldStopWhenTheJvmThatStartedItIsKilled(@TempDir Path dir) throws Exception {
        Process parent = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Parent.class.getName(), dir.toString()))
                .redirectErrorStream(true).start();
        long registryPid = -1;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(parent.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                if (line.startsWith("REGISTRY_PID ")) {
                    registryPid = Long.parseLong(line.substring("REGISTRY_PID ".length()).trim());
                    break;
                }
            }
            assertTrue(registryPid > 0, "the parent started a registry");
            Optional<ProcessHandle> registry = ProcessHandle.of(registryPid);
            assertTrue(registry.isPresent() && registry.get().isAlive(), "registry running");
            parent.destroyForcibly(); // SIGKILL: no shutdown hook runs
            assertTrue(parent.waitFor(30, TimeUnit.SECONDS));
            ProcessHandle r = registry.get();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (r.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertFalse(r.isAlive(), "the registry stopped by itself after its parent was killed");
        } finally {
            parent.destroyForcibly();
            if (registryPid > 0) {
                ProcessHandle.of(registryPid).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }
}
