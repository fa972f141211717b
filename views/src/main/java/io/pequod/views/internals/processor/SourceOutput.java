package io.pequod.views.internals.processor;

/**
 * What a table source processor emits: a {@link KeyDelta}, a {@link DeadLetter} for a bad record, or an {@link ExpiredKey} to erase;
 * and what a partial view's activation emits: key deltas and {@link FillMark}s.
 */
public sealed interface SourceOutput permits KeyDelta, DeadLetter, ExpiredKey, FillMark {
}
