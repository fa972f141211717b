package io.pequod.server.resp;

import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.IntegerRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.handler.codec.redis.SimpleStringRedisMessage;
import io.pequod.schemas.Key;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import static io.pequod.server.resp.RespCommands.ascii;
import static io.pequod.server.resp.RespCommands.bulk;
import static io.pequod.server.resp.RespCommands.ok;
import static io.pequod.server.resp.RespCommands.text;

/**
 * Connection and server commands that clients send: PING, ECHO, QUIT, AUTH, HELLO (2 or 3),
 * SELECT (database 0 only), CLIENT ID/SETNAME/GETNAME/SETINFO, COMMAND (COUNT, INFO, DOCS, LIST),
 * CONFIG GET of the settings clients ask for, TIME, INFO, and FUNCTION FLUSH (there are no
 * functions; it is answered so that Redis' test harness can start).
 */
final class ConnectionCommands {
    /** The settings CONFIG GET knows: what clients and redis-benchmark ask for, with Pequod's values. */
    private static final Map<String, String> CONFIG = new LinkedHashMap<>();
    static final String VERSION = "7.0.15";

    static {
        CONFIG.put("databases", "1");
        CONFIG.put("save", "");
        CONFIG.put("appendonly", "no");
        CONFIG.put("maxmemory", "0");
        CONFIG.put("maxmemory-policy", "noeviction");
        CONFIG.put("proto-max-bulk-len", Integer.toString(Key.MAX_VALUE_LENGTH));
        CONFIG.put("cluster-enabled", "no");
        CONFIG.put("timeout", "0");
    }

    private ConnectionCommands() {
    }

    static void register(RespCommands r) {
        r.add("PING", 1, 2, (s, a) -> a.size() == 2 ? bulk(a.get(1)) : new SimpleStringRedisMessage("PONG"));
        r.add("ECHO", 2, 2, (s, a) -> bulk(a.get(1)));
        r.add("QUIT", 1, Integer.MAX_VALUE, (s, a) -> RespCommands.QUIT);
        r.add("EXIT", 1, Integer.MAX_VALUE, (s, a) -> RespCommands.QUIT);
        r.add("AUTH", 2, 3, (s, a) -> auth(r, s, a.get(a.size() - 1)));
        r.add("HELLO", 1, Integer.MAX_VALUE, (s, a) -> hello(r, s, a));
        r.add("SELECT", 2, 2, (s, a) -> RespCommands.integer(a.get(1)) == 0 ? ok()
                : new ErrorRedisMessage("ERR DB index is out of range (Pequod has one database, 0)"));
        r.add("CLIENT", 2, Integer.MAX_VALUE, ConnectionCommands::client);
        r.add("COMMAND", 1, Integer.MAX_VALUE, (s, a) -> command(r, a));
        r.add("CONFIG", 2, Integer.MAX_VALUE, ConnectionCommands::config);
        r.add("TIME", 1, 1, (s, a) -> {
            long micros = System.currentTimeMillis() * 1000 + (System.nanoTime() / 1000) % 1000;
            return new ArrayRedisMessage(List.of(ascii(Long.toString(micros / 1_000_000)), ascii(Long.toString(micros % 1_000_000))));
        });
        r.add("INFO", 1, Integer.MAX_VALUE, (s, a) -> {
            Set<String> asked = new HashSet<>();
            a.subList(1, a.size()).forEach(x -> asked.add(text(x).toLowerCase(Locale.ROOT)));
            return bulk(r.info().render(asked, () -> s.commands().keyCount(), () -> s.commands().expiringKeyCount())
                    .getBytes(StandardCharsets.UTF_8));
        });
        r.add("FUNCTION", 2, 3, (s, a) -> "FLUSH".equalsIgnoreCase(text(a.get(1))) ? ok()
                : new ErrorRedisMessage("ERR Pequod has no functions; FUNCTION supports FLUSH only"));
    }

    private static RedisMessage auth(RespCommands r, RespCommands.Session s, byte[] secret) {
        if (r.authToken() == null) {
            return new ErrorRedisMessage("ERR AUTH <password> called without any password configured for the default user");
        }
        s.authenticated(java.security.MessageDigest.isEqual(r.authToken().getBytes(java.nio.charset.StandardCharsets.UTF_8), secret));
        return s.authenticated() ? ok() : new ErrorRedisMessage("WRONGPASS invalid username-password pair or user is disabled.");
    }

    /**
     * {@code HELLO [2|3 [AUTH user pass] [SETNAME name]]}: switches the connection's protocol and
     * answers the server's description (a map: RESP2's flat array, or RESP3's map).
     */
    private static RedisMessage hello(RespCommands r, RespCommands.Session s, List<byte[]> a) {
        int version = s.protocol();
        if (a.size() > 1) {
            long v;
            try {
                v = RespCommands.integer(a.get(1));
            } catch (IllegalArgumentException e) {
                return new ErrorRedisMessage("ERR Protocol version is not an integer or out of range");
            }
            if (v != 2 && v != 3) {
                return new ErrorRedisMessage("NOPROTO sorry, this protocol version is not supported (Pequod speaks RESP2 and RESP3)");
            }
            version = (int) v;
        }
        for (int i = 2; i < a.size(); i++) {
            String opt = text(a.get(i)).toUpperCase(Locale.ROOT);
            if (opt.equals("AUTH") && i + 2 < a.size()) {
                RedisMessage m = auth(r, s, a.get(i + 2));
                if (m instanceof ErrorRedisMessage) {
                    return m;
                }
                i += 2;
            } else if (opt.equals("SETNAME") && i + 1 < a.size()) {
                s.clientName(text(a.get(++i)));
            } else {
                return new ErrorRedisMessage("ERR Syntax error in HELLO option '" + text(a.get(i)) + "'");
            }
        }
        if (!s.authenticated()) {
            return new ErrorRedisMessage("NOAUTH HELLO must be called with the client already authenticated, "
                    + "otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client");
        }
        s.protocol(version);
        return new RespMap(List.of(ascii("server"), ascii("redis"), ascii("version"), ascii(VERSION),
                ascii("proto"), new IntegerRedisMessage(version), ascii("id"), new IntegerRedisMessage(s.clientId()),
                ascii("mode"), ascii("standalone"), ascii("role"), ascii("master"), ascii("modules"), new ArrayRedisMessage(List.of())));
    }

    private static RedisMessage client(RespCommands.Session s, List<byte[]> a) {
        String sub = text(a.get(1)).toUpperCase(Locale.ROOT);
        return switch (sub) {
            case "ID" -> new IntegerRedisMessage(s.clientId());
            case "GETNAME" -> s.clientName() == null ? FullBulkStringRedisMessage.NULL_INSTANCE
                    : bulk(s.clientName().getBytes(StandardCharsets.UTF_8));
            case "SETNAME" -> {
                if (a.size() != 3) {
                    throw new IllegalArgumentException("wrong number of arguments for 'client|setname' command");
                }
                String name = text(a.get(2));
                if (name.chars().anyMatch(c -> c <= ' ' || c > '~')) {
                    throw new IllegalArgumentException("Client names cannot contain spaces, newlines or special characters.");
                }
                s.clientName(name.isEmpty() ? null : name);
                yield ok();
            }
            case "SETINFO" -> ok();
            default -> new ErrorRedisMessage("ERR unknown subcommand '" + text(a.get(1)) + "'. Try CLIENT ID, GETNAME, SETNAME, SETINFO.");
        };
    }

    /** {@code COMMAND}, {@code COMMAND COUNT|LIST|INFO name...|DOCS [name...]}: names and arities, no key specs or docs. */
    private static RedisMessage command(RespCommands r, List<byte[]> a) {
        Map<String, Integer> all = r.arities();
        String sub = a.size() == 1 ? "" : text(a.get(1)).toUpperCase(Locale.ROOT);
        List<RedisMessage> out = new ArrayList<>();
        switch (sub) {
            case "COUNT":
                return new IntegerRedisMessage(all.size());
            case "LIST":
                all.keySet().forEach(n -> out.add(ascii(n.toLowerCase(Locale.ROOT))));
                return new ArrayRedisMessage(out);
            case "DOCS":
                return new RespMap(List.of());
            case "INFO":
                for (byte[] n : a.subList(2, a.size())) {
                    Integer arity = all.get(text(n).toUpperCase(Locale.ROOT));
                    out.add(arity == null ? FullBulkStringRedisMessage.NULL_INSTANCE : info(text(n), arity));
                }
                return new ArrayRedisMessage(out);
            case "":
                all.forEach((n, arity) -> out.add(info(n, arity)));
                return new ArrayRedisMessage(out);
            default:
                return new ErrorRedisMessage("ERR unknown subcommand '" + text(a.get(1)) + "'. Try COMMAND COUNT, LIST, INFO, DOCS.");
        }
    }

    private static RedisMessage info(String name, int arity) {
        return new ArrayRedisMessage(List.of(ascii(name.toLowerCase(Locale.ROOT)), new IntegerRedisMessage(arity),
                new ArrayRedisMessage(List.of()), new IntegerRedisMessage(0), new IntegerRedisMessage(0), new IntegerRedisMessage(0)));
    }

    /** {@code CONFIG GET pattern...} of {@link #CONFIG}; {@code CONFIG RESETSTAT}; anything else is refused. */
    private static RedisMessage config(RespCommands.Session s, List<byte[]> a) {
        String sub = text(a.get(1)).toUpperCase(Locale.ROOT);
        if (sub.equals("GET") && a.size() >= 3) {
            List<RedisMessage> out = new ArrayList<>();
            for (Map.Entry<String, String> e : CONFIG.entrySet()) {
                if (a.subList(2, a.size()).stream().anyMatch(p -> Glob.matches(p, e.getKey().getBytes(StandardCharsets.UTF_8), true))) {
                    out.add(ascii(e.getKey()));
                    out.add(bulk(e.getValue().getBytes(StandardCharsets.UTF_8)));
                }
            }
            return new RespMap(out);
        }
        if (sub.equals("RESETSTAT")) {
            return ok();
        }
        return new ErrorRedisMessage("ERR CONFIG " + sub + " is not supported: Pequod is configured by its own settings "
                + "(pequod.* and streams.*, see the README); CONFIG GET answers what clients ask");
    }
}
