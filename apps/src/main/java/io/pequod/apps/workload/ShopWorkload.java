package io.pequod.apps.workload;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pequod.schemas.TopicsReady;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/**
 * The shop demo's data: Debezium change events (JSON with Kafka Connect's schema wrapper, as
 * Debezium's default converter writes them) for a shop's {@code customers} and {@code orders}
 * tables, produced with a plain {@code KafkaProducer}: a snapshot, new orders, email changes,
 * orders moved to another customer (a key change) and deleted orders. It keeps the rows as the
 * database would hold them, and from those computes the views of {@code examples/shop.pq}
 * independently, to compare with what the server answers.
 */
public final class ShopWorkload {
    /** The topic of customers' change events. */
    public static final String CUSTOMERS = "dbserver1.inventory.customers";
    /** The topic of orders' change events. */
    public static final String ORDERS = "dbserver1.inventory.orders";

    private record Order(int customer, long cents) {
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final Random random;
    private final int customers;
    private final int orders;
    private final Map<Integer, String> emails = new TreeMap<>();
    private final Map<Integer, Order> rows = new TreeMap<>();
    private final List<ProducerRecord<String, String>> events = new ArrayList<>();

    /**
     * @param customers how many customers
     * @param orders    how many orders they place
     * @param seed      the random seed
     */
    public ShopWorkload(int customers, int orders, long seed) {
        this.customers = customers;
        this.orders = orders;
        this.random = new Random(seed);
        generate();
    }

    private void generate() {
        for (int c = 1001; c < 1001 + customers; c++) {
            emails.put(c, "customer" + c + "@example.com");
            events.add(customerEvent("r", c, null, emails.get(c)));
        }
        for (int o = 1; o <= orders; o++) {
            Order row = new Order(1001 + random.nextInt(customers), 100 + random.nextInt(20_000));
            rows.put(o, row);
            events.add(orderEvent("c", o, null, row));
        }
        for (int i = 0; i < customers / 2; i++) {
            int c = 1001 + random.nextInt(customers);
            String email = "new" + i + ".customer" + c + "@example.com";
            events.add(customerEvent("u", c, emails.put(c, email), email));
        }
        for (int i = 0; i < orders / 10; i++) {
            int o = 1 + random.nextInt(orders);
            Order before = rows.get(o);
            if (before != null && ordersOf(before.customer()) > 1) {
                boolean move = i % 2 == 0;
                Order after = move ? new Order(1001 + random.nextInt(customers), before.cents()) : null;
                if (move) {
                    rows.put(o, after);
                } else {
                    rows.remove(o);
                }
                events.add(orderEvent(move ? "u" : "d", o, before, after));
                if (!move) {
                    events.add(new ProducerRecord<>(ORDERS, key(o), null)); // Debezium's tombstone after a delete
                }
            }
        }
    }

    private long ordersOf(int customer) {
        return rows.values().stream().filter(r -> r.customer() == customer).count();
    }

    /** @return how many change events there are */
    public int events() {
        return events.size();
    }

    /**
     * Creates the two topics (if missing) and produces every event, checking each send.
     *
     * @param bootstrap the Kafka bootstrap servers
     * @param out       where progress goes
     * @throws Exception if Kafka refuses
     */
    public void produce(String bootstrap, PrintStream out) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            try {
                admin.createTopics(List.of(new NewTopic(CUSTOMERS, 1, (short) 1), new NewTopic(ORDERS, 3, (short) 1))).all().get();
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            }
            TopicsReady.await(admin, List.of(CUSTOMERS, ORDERS)).get(); // a new topic's first write can be refused for ever
        }
        try (KafkaProducer<String, String> p = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new StringSerializer())) {
            List<Future<?>> sent = new ArrayList<>();
            for (ProducerRecord<String, String> r : events) {
                sent.add(p.send(r));
            }
            for (Future<?> f : sent) {
                f.get();
            }
        }
        out.printf("produced %d Debezium change events to %s and %s%n", events.size(), CUSTOMERS, ORDERS);
    }

    /** @return the views of examples/shop.pq computed from the rows: {@code norders}, {@code revenue}, {@code custorders} */
    public Map<String, Map<String, String>> expectedViews() {
        Map<String, String> norders = new TreeMap<>();
        Map<String, String> revenue = new TreeMap<>();
        Map<String, String> custorders = new TreeMap<>();
        rows.forEach((o, r) -> {
            String c = String.format("%08d", r.customer());
            norders.merge("norders|" + c, "1", (a, b) -> Long.toString(Long.parseLong(a) + 1));
            revenue.merge("revenue|" + c, Long.toString(r.cents()), (a, b) -> Long.toString(Long.parseLong(a) + Long.parseLong(b)));
            custorders.put("custorders|" + c + "|" + String.format("%010d", o), emails.get(r.customer()));
        });
        Map<String, Map<String, String>> out = new TreeMap<>();
        out.put("norders", norders);
        out.put("revenue", revenue);
        out.put("custorders", custorders);
        return out;
    }

    /**
     * @param baseUrl a server's HTTP base URL
     * @param table   a table
     * @return its rows, read with the HTTP scan
     * @throws Exception if the server does not answer
     */
    public static Map<String, String> scan(String baseUrl, String table) throws Exception {
        Map<String, String> out = new TreeMap<>();
        String after = table + "|";
        while (true) {
            String q = baseUrl + "/v1/scan?limit=10000&first=" + WorkloadHttp.enc(after) + "&last=" + WorkloadHttp.enc(table + "}");
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(q)).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("scan of " + table + " answered " + r.statusCode() + ": " + r.body());
            }
            JsonNode n = WorkloadHttp.JSON.readTree(r.body());
            n.path("entries").forEach(e -> out.put(e.path("key").asText(), e.path("value").asText()));
            if (!n.path("more").asBoolean() || n.path("entries").isEmpty()) {
                return out;
            }
            after = n.path("entries").get(n.path("entries").size() - 1).path("key").asText() + "\0";
        }
    }

    private static String key(int id) {
        return "{\"schema\":{\"type\":\"struct\",\"fields\":[{\"type\":\"int32\",\"optional\":false,\"field\":\"id\"}],"
                + "\"optional\":false,\"name\":\"dbserver1.inventory.Key\"},\"payload\":{\"id\":" + id + "}}";
    }

    private ProducerRecord<String, String> customerEvent(String op, int id, String before, String after) {
        ObjectNode v = WorkloadHttp.JSON.createObjectNode();
        v.set("before", before == null ? null : WorkloadHttp.JSON.createObjectNode().put("id", id).put("email", before));
        v.set("after", after == null ? null : WorkloadHttp.JSON.createObjectNode().put("id", id).put("email", after));
        return new ProducerRecord<>(CUSTOMERS, key(id), wrap(v, op, "customers"));
    }

    private ProducerRecord<String, String> orderEvent(String op, int id, Order before, Order after) {
        ObjectNode v = WorkloadHttp.JSON.createObjectNode();
        v.set("before", before == null ? null : WorkloadHttp.JSON.createObjectNode().put("id", id)
                .put("customer_id", before.customer()).put("total_cents", before.cents()));
        v.set("after", after == null ? null : WorkloadHttp.JSON.createObjectNode().put("id", id)
                .put("customer_id", after.customer()).put("total_cents", after.cents()));
        return new ProducerRecord<>(ORDERS, key(id), wrap(v, op, "orders"));
    }

    private static String wrap(ObjectNode payload, String op, String table) {
        payload.put("op", op).put("ts_ms", System.currentTimeMillis());
        payload.putObject("source").put("connector", "mysql").put("db", "inventory").put("table", table);
        ObjectNode w = WorkloadHttp.JSON.createObjectNode();
        w.putObject("schema").put("type", "struct").put("name", "dbserver1.inventory." + table + ".Envelope");
        w.set("payload", payload);
        return w.toString();
    }
}
