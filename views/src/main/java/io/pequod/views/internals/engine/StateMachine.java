package io.pequod.views.internals.engine;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * A lifecycle with checked transitions, as {@code KafkaStreams.State} is one: moving to a state
 * not allowed from the current one throws, naming both, instead of leaving a wrong state behind.
 *
 * @param <S> the states
 */
public final class StateMachine<S extends Enum<S>> {
    private final Map<S, Set<S>> allowed;
    private final String what;
    private volatile S state;

    /**
     * @param what    what the states are of, for messages
     * @param initial the first state
     * @param allowed the states each state may move to (a state missing here is final)
     */
    public StateMachine(String what, S initial, Map<S, Set<S>> allowed) {
        this.what = what;
        this.state = initial;
        Map<S, Set<S>> copy = new EnumMap<>(initial.getDeclaringClass());
        allowed.forEach((from, to) -> copy.put(from, to.isEmpty() ? EnumSet.noneOf(initial.getDeclaringClass()) : EnumSet.copyOf(to)));
        this.allowed = copy;
    }

    /** @return the current state */
    public S state() {
        return state;
    }

    /**
     * @param to the next state
     * @throws IllegalStateException if the current state may not move there
     */
    public synchronized void move(S to) {
        if (!canMove(to)) {
            throw new IllegalStateException(what + " cannot go from " + state + " to " + to);
        }
        state = to;
    }

    /** @param to a state @return whether the current state may move there now */
    public synchronized boolean canMove(S to) {
        return allowed.getOrDefault(state, Set.of()).contains(to);
    }

    /**
     * Moves to {@code to} if the current state is {@code from}.
     *
     * @return whether it moved
     */
    public synchronized boolean moveIf(S from, S to) {
        if (state != from) {
            return false;
        }
        move(to);
        return true;
    }
}
