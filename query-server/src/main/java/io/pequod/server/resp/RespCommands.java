package io.pequod.server.resp;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.IntegerRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.handler.codec.redis.SimpleStringRedisMessage;
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

    /** The reply after which the connection closes. */
    static final RedisMessage QUIT = new SimpleStringRedisMessage("QUIT");

    private final Map<String, Command> table = new HashMap<>();
    private final String authToken;

    /** @param authToken the shared secret AUTH must give, or {@code null} */
    RespCommands(String authToken) {
        this.authToken = authToken;
        connection();
        strings();
        counters();
        ranges();
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
        table.put("SET", (s, a) -> {
            if (a.size() != 3) {
                return a.size() < 3 ? new ErrorRedisMessage("ERR wrong number of arguments for 'set' command")
                        : new ErrorRedisMessage("ERR syntax error: SET options (EX, PX, NX, XX...) are not supported");
            }
            s.commands().set(a.get(1), a.get(2));
            return ok();
        });
        add("DEL", 2, Integer.MAX_VALUE, (s, a) -> {
            long n = 0;
            for (byte[] k : a.subList(1, a.size())) {
                n += s.commands().delete(k) ? 1 : 0;
            }
            return new IntegerRedisMessage(n);
        });
        add("APPEND", 3, 3, (s, a) -> new IntegerRedisMessage(s.commands().append(a.get(1), a.get(2)).length));
        add("PREPEND", 3, 3, (s, a) -> new IntegerRedisMessage(s.commands().prepend(a.get(1), a.get(2)).length));
    }

    private void counters() {
        add("INCR", 2, 2, (s, a) -> new IntegerRedisMessage(s.commands().incrementBy(a.get(1), 1)));
        add("DECR", 2, 2, (s, a) -> new IntegerRedisMessage(s.commands().incrementBy(a.get(1), -1)));
        add("INCRBY", 3, 3, (s, a) -> new IntegerRedisMessage(s.commands().incrementBy(a.get(1), integer(a.get(2)))));
        add("DECRBY", 3, 3, (s, a) -> new IntegerRedisMessage(s.commands().incrementBy(a.get(1), Math.negateExact(integer(a.get(2))))));
        add("INC", 2, 3, (s, a) -> new IntegerRedisMessage(s.commands().incrementBy(a.get(1), a.size() == 3 ? integer(a.get(2)) : 1)));
        add("DEC", 2, 3, (s, a) ->
                new IntegerRedisMessage(s.commands().incrementBy(a.get(1), Math.negateExact(a.size() == 3 ? integer(a.get(2)) : 1))));
        add("INCRBYFLOAT", 3, 3, (s, a) -> ascii(s.commands().incrementByFloat(a.get(1), decimal(a.get(2)))));
        add("INCF", 2, 3, (s, a) -> ascii(s.commands().incrementByFloat(a.get(1), a.size() == 3 ? decimal(a.get(2)) : "1")));
        add("DECF", 2, 3, (s, a) -> {
            String x = a.size() == 3 ? decimal(a.get(2)) : "1";
            return ascii(s.commands().incrementByFloat(a.get(1), x.startsWith("-") ? x.substring(1) : "-" + x));
        });
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
