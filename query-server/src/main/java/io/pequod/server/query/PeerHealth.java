package io.pequod.server.query;

import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Which other instances did not answer lately. A call that finds an instance unreachable
 * (connection refused or reset, or no answer in time) marks it down: reads stop routing to it
 * and go to a standby copy at once, instead of waiting for its group session to expire. A down
 * instance is asked for {@code /health} twice a second and is up again when it answers UP.
 */
public final class PeerHealth implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PeerHealth.class);
    private static final long PROBE_MS = 500;

    private final Map<HostInfo, Long> down = new ConcurrentHashMap<>();
    private final Predicate<HostInfo> probe;
    private final ScheduledExecutorService prober = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "pequod-peer-probe");
        t.setDaemon(true);
        return t;
    });

    /** @param probe asks an instance whether it is up (true: it answered UP) */
    PeerHealth(Predicate<HostInfo> probe) {
        this.probe = probe;
        prober.scheduleWithFixedDelay(this::probeDown, PROBE_MS, PROBE_MS, TimeUnit.MILLISECONDS);
    }

    /** @param host an instance @return whether it did not answer lately and has not answered UP since */
    public boolean isDown(HostInfo host) {
        return down.containsKey(host);
    }

    /** @return the instances now considered down */
    public Set<HostInfo> down() {
        return Set.copyOf(down.keySet());
    }

    /**
     * @param host an instance that did not answer
     * @param why  what happened
     */
    void markDown(HostInfo host, String why) {
        if (down.putIfAbsent(host, System.nanoTime()) == null) {
            LOG.warn("Instance {}:{} did not answer ({}); reading its partitions from standby copies until it is UP again",
                    host.host(), host.port(), why);
        }
    }

    private void probeDown() {
        for (Map.Entry<HostInfo, Long> e : down.entrySet()) {
            boolean up;
            try {
                up = probe.test(e.getKey());
            } catch (RuntimeException stillDown) {
                up = false;
            }
            if (up && down.remove(e.getKey()) != null) {
                LOG.info("Instance {}:{} is UP again after {} ms", e.getKey().host(), e.getKey().port(),
                        (System.nanoTime() - e.getValue()) / 1_000_000);
            }
        }
    }

    @Override
    public void close() {
        prober.shutdownNow();
    }
}
