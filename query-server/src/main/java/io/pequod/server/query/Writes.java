package io.pequod.server.query;

import io.pequod.ingest.ChangeWriter;
import io.pequod.schemas.Changes;
import io.pequod.schemas.Expiry;
import io.pequod.schemas.Key;
import io.pequod.schemas.PequodException;
import io.pequod.schemas.WritePosition;
import io.pequod.schemas.avro.Change;
import io.pequod.schemas.avro.Operation;
import io.pequod.views.ViewCatalog;
import io.pequod.views.ViewEngine;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.streams.KeyQueryMetadata;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Writes through the {@link ChangeWriter}, each answered once the broker acknowledges it (and
 * counted for read-your-writes); read-modify-writes are applied on the key's owner, which
 * answers the value its own change produced.
 */
final class Writes {
    private static final long ACK_TIMEOUT_SECONDS = 30;

    private final ViewEngine engine;
    private final ChangeWriter writer;
    private final Routing routing;
    private final LocalReads local;
    private final Freshness freshness;
    private final PeerClient peers;
    private final QueryLimits limits;

    Writes(ViewEngine engine, ChangeWriter writer, Routing routing, LocalReads local, Freshness freshness, PeerClient peers,
           QueryLimits limits) {
        this.engine = engine;
        this.writer = writer;
        this.routing = routing;
        this.local = local;
        this.freshness = freshness;
        this.peers = peers;
        this.limits = limits;
    }

    WritePosition put(byte[] key, byte[] value) {
        return await(writer.write(key, Operation.PUT, value), key);
    }

    WritePosition erase(byte[] key) {
        return await(writer.erase(key), key);
    }

    /**
     * A PUT or an erase ({@code value} null) answered from the send callback: no thread waits for
     * the broker. The first write to a table this instance does not know yet waits for its topic,
     * as {@link #put} does.
     *
     * @return the write's position once acknowledged; a {@link QueryException} if it failed
     * @throws PequodException if the key or value is invalid (nothing is written)
     */
    CompletableFuture<WritePosition> writeAsync(byte[] key, byte[] value) {
        if (!engine.catalog().tables().contains(Key.tableOf(key))) {
            return CompletableFuture.completedFuture(value == null ? erase(key) : put(key, value));
        }
        CompletableFuture<WritePosition> sent = value == null ? writer.erase(key) : writer.write(key, Operation.PUT, value);
        return sent.orTimeout(ACK_TIMEOUT_SECONDS, TimeUnit.SECONDS).handle((p, e) -> {
            if (e != null) {
                throw failed(key, e instanceof CompletionException ? e.getCause() : e);
            }
            freshness.wrote(p);
            return p;
        });
    }

    /** Writes in order (null value = erase), pipelined. @return the last position per topic partition, once all are acknowledged */
    CompletableFuture<Map<String, WritePosition>> writeAll(List<byte[][]> writes) {
        List<CompletableFuture<WritePosition>> fs = new ArrayList<>(writes.size());
        for (byte[][] w : writes) {
            fs.add(writeAsync(w[0], w[1]));
        }
        return CompletableFuture.allOf(fs.toArray(CompletableFuture[]::new)).thenApply(x -> {
            Map<String, WritePosition> last = new HashMap<>();
            for (CompletableFuture<WritePosition> f : fs) {
                WritePosition p = f.join();
                last.merge(p.topic() + ":" + p.partition(), p, (a, b) -> a.offset() >= b.offset() ? a : b);
            }
            return last;
        });
    }

    /**
     * @return the value after the change, applied by the key's owner: when this instance owns the
     *     key, completed from the owner's report with no thread waiting; a {@link QueryException}
     *     or {@link PequodException} (a non-number) if it failed
     */
    CompletableFuture<Optional<byte[]>> readModifyWrite(byte[] key, Operation op, byte[] amount, Expiry expiry) {
        String table = Key.tableOf(key);
        ViewCatalog c = engine.catalog();
        if (!c.tables().contains(table)) {
            // The first write creates the table (the next refresh materializes it), so the key was
            // absent: the answer is the change's on an absent key.
            Change change = Changes.of(op, amount);
            byte[] answer = Changes.answer(change, null, Changes.apply(key, null, change));
            await(writer.write(key, op, amount, null, expiry), key);
            engine.refreshTables();
            return CompletableFuture.completedFuture(Optional.ofNullable(answer));
        }
        KeyQueryMetadata md = Routing.metadata(c, table, key);
        if (routing.isLocal(md)) {
            return readModifyWriteLocal(key, op, amount, expiry);
        }
        Optional<byte[]> v = peers.readModifyWrite(md.activeHost(), key, op.name(), amount, expiry);
        freshness.wroteElsewhere(); // applied by the owner
        return CompletableFuture.completedFuture(v);
    }

    /** Applies a read-modify-write here, as the owner of the key's partition: written, then answered from the owner's report. */
    CompletableFuture<Optional<byte[]>> readModifyWriteLocal(byte[] key, Operation op, byte[] amount, Expiry expiry) {
        if (amount == null) {
            return CompletableFuture.completedFuture(local.get(key, null, false, new ReadNote()));
        }
        String id = UUID.randomUUID().toString();
        CompletableFuture<byte[]> result = engine.progress().results().awaitResult(id);
        CompletableFuture<WritePosition> sent = writer.write(key, op, amount, id, expiry).orTimeout(ACK_TIMEOUT_SECONDS, TimeUnit.SECONDS)
                .handle((p, e) -> {
                    if (e != null) {
                        throw failed(key, e instanceof CompletionException ? e.getCause() : e);
                    }
                    freshness.wrote(p);
                    return p;
                });
        return sent.thenCompose(p -> result.orTimeout(limits.maxWait().toMillis(), TimeUnit.MILLISECONDS)).handle((v, e) -> {
            result.cancel(false);
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            if (cause instanceof TimeoutException) {
                throw QueryException.unavailable("the change to key '" + Key.of(key) + "' was written but not applied within "
                        + limits.maxWait().toMillis() + " ms; its partition may be moving");
            } else if (cause instanceof RuntimeException r) {
                throw r;
            } else if (cause != null) {
                throw new PequodException(cause.getMessage(), cause);
            }
            return Optional.ofNullable(v);
        });
    }

    private WritePosition await(CompletableFuture<WritePosition> f, byte[] key) {
        try {
            WritePosition p = f.get(ACK_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            freshness.wrote(p);
            if (!engine.catalog().tables().contains(Key.tableOf(key))) {
                engine.refreshTables();
            }
            return p;
        } catch (ExecutionException | TimeoutException e) {
            throw failed(key, e instanceof ExecutionException ? e.getCause() : e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw QueryException.unavailable("interrupted");
        }
    }

    private static QueryException failed(byte[] key, Throwable cause) {
        if (cause instanceof TimeoutException) {
            return QueryException.unavailable("Kafka did not acknowledge the write of key '" + Key.of(key) + "' within "
                    + ACK_TIMEOUT_SECONDS + " s");
        }
        // Kafka refusing the record itself (too large, say) is the request's fault: retrying cannot help
        Throwable kafka = cause.getCause() != null ? cause.getCause() : cause; // the writer names the key and topic around it
        Failure.Kind kind = kafka instanceof ApiException && !(kafka instanceof RetriableException) ? Failure.Kind.BAD_REQUEST
                : Failure.Kind.UNAVAILABLE;
        return new QueryException(kind, "write failed", cause.getMessage());
    }
}
