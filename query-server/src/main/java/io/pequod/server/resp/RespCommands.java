package io.pequod.server.resp;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.IntegerRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.handler.codec.redis.SimpleStringRedisMessage;
import io.pequod.schemas.avro.Operation;
import io.pequod.server.query.Commands;
import io.pequod.server.query.Entry;
import io.pequod.server.query.ScanResult;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The Redis commands, by name: connection commands, Redis' string commands, memento's counters,
 * and {@code PQSCAN}/{@code PQCOUNT}. Where to add a command: one {@link #add} line and, if it is
 * more than a line, a method. Bad arguments throw {@link IllegalArgumentException}, which the
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
    private final String authToken;

    /** @param authToken the shared secret AUTH must give, or {@code null} */
    RespCommands(String authToken) {
        this.authToken = authToken;
        connection();
        strings();
        counters();
        ranges();
    }

    /**
     * Adds a write command that answers from its future, so that the connection's worker is free
     * while Kafka acknowledges (or the key's owner applies) the change.
     */
    private void addWrite(String name, int min, int max, Write w) {
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
     *     every write but {@code SET}. {@code DEL} reads first (it answers how many keys existed); a
     *     read-modify-write whose key another instance owns is written through that instance's
     *     producer, which could put it in the log before this instance's earlier, still unacknowledged
     *     writes. A {@code SET} goes through this instance's producer, which keeps a partition's order.
     */
    boolean readsFirst(String name) {
        return !name.equals("SET");
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

    private void add(String name, int min, int max, Command c) {
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

    private void connection() {
        add("PING", 1, 2, (s, a) -> a.size() == 2 ? bulk(a.get(1)) : new SimpleStringRedisMessage("PONG"));
        add("ECHO", 2, 2, (s, a) -> bulk(a.get(1)));
        add("QUIT", 1, Integer.MAX_VALUE, (s, a) -> QUIT);
        add("EXIT", 1, Integer.MAX_VALUE, (s, a) -> QUIT);
        add("AUTH", 2, 3, this::auth);
        add("SELECT", 1, Integer.MAX_VALUE, (s, a) -> ok());
        add("CLIENT", 1, Integer.MAX_VALUE, (s, a) -> ok());
        add("COMMAND", 1, Integer.MAX_VALUE, (s, a) -> new ArrayRedisMessage(List.of()));
        add("CONFIG", 1, Integer.MAX_VALUE, (s, a) -> new ArrayRedisMessage(List.of()));
        add("INFO", 1, Integer.MAX_VALUE, (s, a) -> bulk(("# Server\r\nredis_version:7.0.0-pequod\r\npequod_mode:kafka\r\n# Keyspace\r\n")
                .getBytes(StandardCharsets.UTF_8)));
    }

    private RedisMessage auth(Session s, List<byte[]> a) {
        if (authToken == null) {
            return new ErrorRedisMessage("ERR AUTH <password> called without any password configured for the default user");
        }
        s.authenticated(authToken.equals(new String(a.get(a.size() - 1), StandardCharsets.UTF_8)));
        return s.authenticated() ? ok() : new ErrorRedisMessage("WRONGPASS invalid username-password pair or user is disabled.");
    }

    private void strings() {
        add("GET", 2, 2, (s, a) -> orNull(s.commands().get(a.get(1))));
        add("GETP", 2, 2, (s, a) -> {
            Optional<byte[]> v = s.commands().get(a.get(1));
            return v.isEmpty() ? FullBulkStringRedisMessage.NULL_INSTANCE : new ArrayRedisMessage(List.of(bulk(a.get(1)),
                    bulk(v.get()), new IntegerRedisMessage(-1), new IntegerRedisMessage(-1)));
        });
        add("MGET", 2, Integer.MAX_VALUE, (s, a) -> {
            List<RedisMessage> out = new ArrayList<>();
            a.subList(1, a.size()).forEach(k -> out.add(orNull(s.commands().get(k))));
            return new ArrayRedisMessage(out);
        });
        add("EXISTS", 2, Integer.MAX_VALUE, (s, a) ->
                new IntegerRedisMessage(a.subList(1, a.size()).stream().filter(k -> s.commands().get(k).isPresent()).count()));
        addWrite("SET", 3, Integer.MAX_VALUE, (s, a) -> {
            if (a.size() != 3) {
                throw new IllegalArgumentException("syntax error: SET options (EX, PX, NX, XX...) are not supported");
            }
            return s.commands().setAsync(a.get(1), a.get(2)).thenApply(p -> ok());
        });
        addWrite("DEL", 2, Integer.MAX_VALUE, (s, a) ->
                s.commands().deleteAsync(a.subList(1, a.size())).thenApply(IntegerRedisMessage::new));
        addWrite("APPEND", 3, 3, (s, a) -> s.commands().concatAsync(a.get(1), Operation.APPEND, a.get(2)).thenApply(v -> length(v)));
        addWrite("PREPEND", 3, 3, (s, a) -> s.commands().concatAsync(a.get(1), Operation.PREPEND, a.get(2)).thenApply(v -> length(v)));
    }

    private void counters() {
        addWrite("INCR", 2, 2, (s, a) -> increment(s, a.get(1), 1));
        addWrite("DECR", 2, 2, (s, a) -> increment(s, a.get(1), -1));
        addWrite("INCRBY", 3, 3, (s, a) -> increment(s, a.get(1), integer(a.get(2))));
        addWrite("DECRBY", 3, 3, (s, a) -> increment(s, a.get(1), Math.negateExact(integer(a.get(2)))));
        addWrite("INC", 2, 3, (s, a) -> increment(s, a.get(1), a.size() == 3 ? integer(a.get(2)) : 1));
        addWrite("DEC", 2, 3, (s, a) -> increment(s, a.get(1), Math.negateExact(a.size() == 3 ? integer(a.get(2)) : 1)));
        addWrite("INCRBYFLOAT", 3, 3, (s, a) -> incrementFloat(s, a.get(1), decimal(a.get(2))));
        addWrite("INCF", 2, 3, (s, a) -> incrementFloat(s, a.get(1), a.size() == 3 ? decimal(a.get(2)) : "1"));
        addWrite("DECF", 2, 3, (s, a) -> {
            String x = a.size() == 3 ? decimal(a.get(2)) : "1";
            return incrementFloat(s, a.get(1), x.startsWith("-") ? x.substring(1) : "-" + x);
        });
    }

    private static CompletableFuture<RedisMessage> incrementFloat(Session s, byte[] key, String amount) {
        return s.commands().incrementByFloatAsync(key, amount).thenApply(RespCommands::ascii);
    }

    private static CompletableFuture<RedisMessage> increment(Session s, byte[] key, long amount) {
        return s.commands().incrementByAsync(key, amount).thenApply(IntegerRedisMessage::new);
    }

    private static RedisMessage length(byte[] v) {
        return new IntegerRedisMessage(v.length);
    }

    private void ranges() {
        for (String flush : List.of("FLUSH", "FLUSHDB", "FLUSHALL")) {
            add(flush, 1, 2, (s, a) -> {
                s.commands().flush();
                return ok();
            });
        }
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

    private static RedisMessage ok() {
        return new SimpleStringRedisMessage("OK");
    }

    private static RedisMessage orNull(Optional<byte[]> v) {
        return v.map(RespCommands::bulk).orElse(FullBulkStringRedisMessage.NULL_INSTANCE);
    }

    private static RedisMessage ascii(String s) {
        return bulk(s.getBytes(StandardCharsets.US_ASCII));
    }

    static FullBulkStringRedisMessage bulk(byte[] b) {
        return new FullBulkStringRedisMessage(Unpooled.wrappedBuffer(b));
    }

    private static long integer(byte[] b) {
        try {
            return Long.parseLong(new String(b, StandardCharsets.US_ASCII));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("value is not an integer or out of range");
        }
    }

    private static String decimal(byte[] b) {
        String s = new String(b, StandardCharsets.US_ASCII).trim();
        try {
            new BigDecimal(s);
            return s;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("value is not a valid float");
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }
}
