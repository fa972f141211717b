package io.pequod.apps.workload;

/** Where clients report how far their writes are acknowledged, in logical time, and read each other's. */
interface ProgressBoard {
    /** @param upTo every write of the client's operations before this time is acknowledged @param now report it at once */
    void report(int client, long upTo, boolean now) throws Exception;

    /** @return the least progress the other clients reported */
    long othersAcked(int client) throws Exception;

    /** @return how long a waiting client sleeps between reads */
    long pollMillis();
}
