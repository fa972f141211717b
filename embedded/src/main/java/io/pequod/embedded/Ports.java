package io.pequod.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Loopback port helpers. */
public final class Ports {
    private Ports() {
    }

    /** @return a TCP port on 127.0.0.1 that was free a moment ago */
    public static int free() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("No free TCP port on 127.0.0.1", e);
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
