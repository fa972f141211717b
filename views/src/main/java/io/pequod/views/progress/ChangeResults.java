package io.pequod.views.progress;

import io.pequod.schemas.InvalidValueException;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The results of read-modify-write changes by request id, so that {@code INCR} answers the value
 * its own change produced: register with {@link #awaitResult} before writing the change; the
 * table store that applies it completes the result. Thread-safe.
 */
public final class ChangeResults {
    private final Map<String, CompletableFuture<byte[]>> results = new ConcurrentHashMap<>();

    /**
     * Registers interest in the value a change with this request id produces. Register before writing.
     *
     * @param requestId the change's request id
     * @return completed with the change's answer ({@code Changes.answer}: the key's value after it
     * for most operations; {@code null} for absent), or
     * exceptionally with {@link InvalidValueException} if the change was rejected
     */
    public CompletableFuture<byte[]> awaitResult(String requestId) {
        CompletableFuture<byte[]> f = new CompletableFuture<>();
        results.put(requestId, f);
        f.whenComplete((v, e) -> results.remove(requestId, f));
        return f;
    }

    /**
     * @param requestId the change's request id
     * @param value     its answer
     * @param rejection why it was rejected, or {@code null}
     */
    void complete(String requestId, byte[] value, String rejection) {
        CompletableFuture<byte[]> r = results.remove(requestId);
        if (r == null) {
            return;
        }
        if (rejection != null) {
            r.completeExceptionally(new InvalidValueException(rejection.replaceFirst("^Invalid value: ", "")));
        } else {
            r.complete(value);
        }
    }
}
