package io.pequod.views.internals.processor;

/** What a table source processor emits: a {@link KeyDelta}, a {@link DeadLetter} for a bad record, or an {@link ExpiredKey} to erase. */
public sealed interface SourceOutput permits KeyDelta, DeadLetter, ExpiredKey {
}
