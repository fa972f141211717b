package io.pequod.views.internals.processor;

/** What a table source processor emits: a {@link KeyDelta}, or a {@link DeadLetter} for a bad record. */
public sealed interface SourceOutput permits KeyDelta, DeadLetter {
}
