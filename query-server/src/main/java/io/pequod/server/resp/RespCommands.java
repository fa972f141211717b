package io.pequod.server.resp;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.IntegerRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.handler.codec.redis.SimpleStringRedisMessage;
import io.pequod.schemas.Numbers;
import io.pequod.server.query.Commands;
import io.pequod.server.query.Entry;
import io.pequod.server.query.ScanResult;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * The Redis commands, by name: the table and dispatch here with {@code PQSCAN}/{@code PQCOUNT};
 * the commands in groups ({@link ConnectionCommands}, {@link StringCommands} with memento's
 * counters, {@link KeyspaceCommands}). Where to add a command: one {@link #add} or {@link #addWrite}
 * line in its group and, if it is more than a line, a method. Bad arguments throw {@link IllegalArgumentException}, which the
 * front end answers as {@code -ERR}.
 */
final class RespCommands {
    /** A connection's state that commands read and change. */
    interface Session {
        /** @return the connection's key-value commands (reads see this instance's writes) */
        Commands commands();

        /** @return whether AUTH succeeded (or no secret is required) */
        boolean authenticated();

        /** @param yes whether AUTH succeeded */
        void authenticated(boolean yes);

        /** @return the connection's id (CLIENT ID), unique in this process */
        long clientId();

        /** @return the name CLIENT SETNAME gave, or {@code null} */
        String clientName();

        /** @param name the connection's name, or {@code null} */
        void clientName(String name);

        /** @return the protocol the connection speaks: 2, or 3 after {@code HELLO 3} */
        int protocol();

        /** @param version the protocol the connection speaks from the next reply on (2 or 3) */
        void protocol(int version);
    }

    /** One command. */
    @FunctionalInterface
    interface Command {
        RedisMessage run(Session s, List<byte[]> a);
    }

    /** One write command: hands its change to the producer and answers once it is acknowledged (or applied). */
    @FunctionalInterface
    interface Write {
        CompletableFuture<RedisMessage> run(Session s, List<byte[]> a);
    }

    /** The reply after which the connection closes. */
    static final RedisMessage QUIT = new SimpleStringRedisMessage("QUIT");

    private final Map<String, Command> table = new HashMap<>();
    private final Map<String, Write> writes = new HashMap<>();
    /** Redis' arity of each command (negative: at least), for {@code COMMAND}. */
    private final Map<String, Integer> arity = new TreeMap<>();
    private final String authToken;
    private final ServerInfo info = new ServerInfo();

    /** @param authToken the shared secret AUTH must give, or {@code null} */
    RespCommands(String authToken) {
        this.authToken = authToken;
        ConnectionCommands.register(this);
        StringCommands.register(this);
        KeyspaceCommands.register(this);
        ExpiryCommands.register(this);
        ranges();
    }

    /**
     * Adds a write command that answers from its future, so that the connection's worker is free
     * while Kafka acknowledges (or the key's owner applies) the change.
     */
    void addWrite(String name, int min, int max, Write w) {
        arity.put(name, min == max ? min : -min);
        writes.put(name, (s, a) -> {
            if (a.size() < min || a.size() > max) {
                throw new IllegalArgumentException("wrong number of arguments for '" + name.toLowerCase(Locale.ROOT) + "' command");
            }
            return w.run(s, a);
        });
    }

    /** @param name a command's name, upper case @return whether it is a write answered from a future */
    boolean isWrite(String name) {
        return writes.containsKey(name);
    }

    /**
     * @param name a write command's name
     * @return whether it must wait until the connection's earlier writes are answered, like a read:
     *     every write but a plain {@code SET} (no options). {@code DEL} reads first (it answers how many keys existed); a
     *     read-modify-write whose key another instance owns is written through that instance's
     *     producer, which could put it in the log before this instance's earlier, still unacknowledged
     *     writes. A {@code SET} goes through this instance's producer, which keeps a partition's order.
     */
    boolean readsFirst(String name, List<byte[]> a) {
        return !(name.equals("SET") && a.size() == 3);
    }

    /**
     * @param s    the connection (authenticated)
     * @param name a write command's name ({@link #isWrite})
     * @param a    the command and its arguments
     * @return its reply once acknowledged; failed if the write failed
     */
    CompletableFuture<RedisMessage> executeWrite(Session s, String name, List<byte[]> a) {
        return writes.get(name).run(s, a);
    }

    void add(String name, int min, int max, Command c) {
        arity.put(name, min == max ? min : -min);
        table.put(name, (s, a) -> {
            if (a.size() < min || a.size() > max) {
                throw new IllegalArgumentException("wrong number of arguments for '" + name.toLowerCase(Locale.ROOT) + "' command");
            }
            return c.run(s, a);
        });
    }

    /**
     * @param s    the connection
     * @param name the command's name, upper case
     * @param a    the command and its arguments
     * @return the reply
     */
    RedisMessage execute(Session s, String name, List<byte[]> a) {
        if (!s.authenticated() && !name.equals("AUTH") && !name.equals("QUIT") && !name.equals("HELLO")) {
            return new ErrorRedisMessage("NOAUTH Authentication required.");
        }
        Write w = writes.get(name);
        if (w != null) {
            // a write the front end queued as a plain command: pipelined right after the AUTH that
            // allowed it (the front end's error mapping unwraps the future's failure)
            return w.run(s, a).join();
        }
        Command c = table.get(name);
        return c == null ? new ErrorRedisMessage("ERR unknown command '" + abbreviate(name) + "'") : c.run(s, a);
    }

    /** @return the shared secret AUTH must give, or {@code null} */
    String authToken() {
        return authToken;
    }

    /** @return the figures {@code INFO} reports */
    ServerInfo info() {
        return info;
    }

    /** @return each command's name and Redis arity (negative: at least that many), by name */
    Map<String, Integer> arities() {
        return arity;
    }

    private void ranges() {
        table.put("PQSCAN", RespCommands::scan);
        add("PQCOUNT", 3, 3, (s, a) -> new IntegerRedisMessage(s.commands().count(a.get(1), a.get(2))));
    }

    /** {@code PQSCAN first last [LIMIT n]}: {@code [more, [key, value, ...]]}. */
    private static RedisMessage scan(Session s, List<byte[]> a) {
        if (a.size() != 3 && !(a.size() == 5 && "LIMIT".equalsIgnoreCase(new String(a.get(3), StandardCharsets.UTF_8)))) {
            return new ErrorRedisMessage("ERR wrong number of arguments for 'pqscan' command: PQSCAN first last [LIMIT n]");
        }
        Integer limit = a.size() == 5 ? (int) integer(a.get(4)) : null;
        ScanResult r = s.commands().scan(a.get(1), a.get(2), limit);
        List<RedisMessage> kv = new ArrayList<>();
        for (Entry e : r.entries()) {
            kv.add(bulk(e.key()));
            kv.add(bulk(e.value()));
        }
        return new ArrayRedisMessage(List.of(new IntegerRedisMessage(r.more() ? 1 : 0), new ArrayRedisMessage(kv)));
    }

    static RedisMessage ok() {
        return new SimpleStringRedisMessage("OK");
    }

    static RedisMessage orNull(Optional<byte[]> v) {
        return v.map(RespCommands::bulk).orElse(FullBulkStringRedisMessage.NULL_INSTANCE);
    }

    static RedisMessage ascii(String s) {
        return bulk(s.getBytes(StandardCharsets.US_ASCII));
    }

    static FullBulkStringRedisMessage bulk(byte[] b) {
        return new FullBulkStringRedisMessage(Unpooled.wrappedBuffer(b));
    }

    static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    /** @return the argument as a 64-bit integer, read as Redis reads one */
    static long integer(byte[] b) {
        Long n = Numbers.parseLong(b);
        if (n == null) {
            throw new IllegalArgumentException("value is not an integer or out of range");
        }
        return n;
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }
}
