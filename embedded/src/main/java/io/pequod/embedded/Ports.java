package io.pequod.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/** Loopback port helpers. */
public final class Ports {
    private Ports() {
    }

    /** Ports handed out by this JVM, never handed out twice. */
    private static final Set<Integer> GIVEN = ConcurrentHashMap.newKeySet();
    /** Where to pick from: below the kernel's ephemeral range, or none known. */
    private static final int[] RANGE = belowEphemeralRange();

    /**
     * A port picked now and bound later (by another process, or again after a restart) must not be
     * one the kernel may meanwhile give a client's outgoing connection: the ports are picked at
     * random below the kernel's ephemeral range (Linux: {@code ip_local_port_range}), where only
     * listeners live, and checked free; elsewhere, the kernel's choice.
     *
     * @return a TCP port on 127.0.0.1 that was free a moment ago, not handed out before by this JVM
     */
    public static int free() {
        if (RANGE != null) {
            for (int i = 0; i < 200; i++) {
                int p = RANGE[0] + ThreadLocalRandom.current().nextInt(RANGE[1] - RANGE[0]);
                if (!GIVEN.contains(p) && isFree(p) && GIVEN.add(p)) {
                    return p;
                }
            }
        }
        for (int i = 0; ; i++) {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                s.setReuseAddress(true);
                if (GIVEN.add(s.getLocalPort()) || i >= 20) {
                    return s.getLocalPort();
                }
            } catch (IOException e) {
                throw new UncheckedIOException("No free TCP port on 127.0.0.1", e);
            }
        }
    }

    /** @return [low, high) below the ephemeral range, from 10000, or {@code null} if unknown or too narrow */
    static int[] belowEphemeralRange() {
        try {
            String line; // (procfs files have no size: read the line)
            try (java.io.BufferedReader in = Files.newBufferedReader(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))) {
                line = in.readLine();
            }
            String[] r = line.trim().split("\\s+");
            int start = Integer.parseInt(r[0]);
            return start >= 12_000 ? new int[] {10_000, start} : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * @param port a port
     * @return whether it can be bound on 127.0.0.1 now
     */
    public static boolean isFree(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static int check(int port, String name) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("Invalid value " + port + " for " + name
                    + ": must be between 0 (pick a free port) and 65535");
        }
        return port;
    }
}
