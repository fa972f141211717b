package io.pequod.views.progress;

/**
 * How far one Streams application of this engine has come through its input, for operators
 * watching an install or a rebuild catch up. Offsets are summed over every input partition of
 * the application (on all instances), as committed by its group.
 *
 * @param application the application id (its consumer group)
 * @param state       its Streams state on this instance
 * @param consumed    input records its group has committed, from each partition's first offset; -1 if unknown
 * @param total       input records present in its input partitions; -1 if unknown (not assigned yet)
 * @param lag         records in its input not yet committed; -1 if unknown
 */
public record ApplicationProgress(String application, String state, long consumed, long total, long lag) {
    /** @return consumed/total between 0 and 1, 1 when there is no input, -1 if unknown */
    public double fraction() {
        if (total < 0 || consumed < 0) {
            return -1;
        }
        return total == 0 ? 1 : Math.min(1.0, (double) consumed / total);
    }
}
