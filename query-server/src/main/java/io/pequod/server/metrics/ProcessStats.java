package io.pequod.server.metrics;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This process's resource use as Linux reports it: user and system CPU time from
 * {@code /proc/self/stat} and the peak resident set size from {@code /proc/self/status}. Elsewhere
 * the CPU split is unknown (the JVM's total CPU time is reported as user time) and RSS is -1.
 *
 * @param userMicros   user CPU time, microseconds
 * @param systemMicros system CPU time, microseconds
 * @param maxRssMb     peak resident set size, MiB, or -1
 */
public record ProcessStats(long userMicros, long systemMicros, long maxRssMb) {
    private static final long TICKS_PER_SECOND = 100; // USER_HZ; 100 on every Linux architecture Java runs on

    /** @return the current figures */
    public static ProcessStats now() {
        long user = -1;
        long system = 0;
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            user = Long.parseLong(f[11]) * 1_000_000 / TICKS_PER_SECOND;
            system = Long.parseLong(f[12]) * 1_000_000 / TICKS_PER_SECOND;
        } catch (IOException | RuntimeException notLinux) {
            java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
            if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
                user = sun.getProcessCpuTime() / 1000;
            }
        }
        return new ProcessStats(user, system, maxRss());
    }

    private static long maxRss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
