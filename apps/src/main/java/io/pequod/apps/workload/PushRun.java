package io.pequod.apps.workload;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pequod.server.query.Entry;

/** Entry points of the client-managed modes, for the command line. */
public final class PushRun {
    private final TwitterPushWorkload workload;
    private final int nusers;
    private final long duration;
    private final double pactive;
    private final long seed;
    private final long popduration;
    private final TwitterModel.Graph graph;

    /**
     * @param nusers   users
     * @param duration ticks
     * @param pactive  fraction of active users
     * @param seed     seed
     */
    public PushRun(int nusers, long duration, double pactive, long seed) {
        this(nusers, duration, pactive, seed, 0);
    }

    /**
     * @param nusers      users
     * @param duration    ticks
     * @param pactive     fraction of active users
     * @param seed        seed
     * @param popduration ticks of populate posts, fanned out before the run
     */
    public PushRun(int nusers, long duration, double pactive, long seed, long popduration) {
        this(nusers, duration, pactive, seed, popduration, null);
    }

    /**
     * @param graph the follow graph, or {@code null} for Pequod's generated one
     */
    public PushRun(int nusers, long duration, double pactive, long seed, long popduration, TwitterModel.Graph graph) {
        this.graph = graph;
        this.popduration = popduration;
        this.workload = new TwitterPushWorkload(nusers, duration, pactive, seed, popduration, graph);
        this.nusers = nusers;
        this.duration = duration;
        this.pactive = pactive;
        this.seed = seed;
    }

    /** @return the result against a Redis at HOST:PORT (its current database is flushed first) @throws Exception on failure */
    public ObjectNode redis(String hostPort) throws Exception {
        try (PushTimelines.Redis r = new PushTimelines.Redis(hostPort)) {
            return workload.run(r);
        }
    }

    /** @return the result against a Pequod server's base table t @throws Exception on failure */
    public ObjectNode pequod(String server) throws Exception {
        try (PushTimelines.Pequod p = new PushTimelines.Pequod(server)) {
            return workload.run(p);
        }
    }

    /** @return the posts the run must read */
    public long reference() {
        return TwitterPushWorkload.reference(nusers, duration, pactive, seed, popduration, graph);
    }
}
