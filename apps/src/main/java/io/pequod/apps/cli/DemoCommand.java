package io.pequod.apps.cli;

import io.pequod.apps.workload.ShopWorkload;
import io.pequod.server.AllInOne;
import io.pequod.views.spec.JoinSpec;
import io.pequod.views.spec.JoinSpecParser;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/** {@code pequod demo shop}: views over Debezium change streams, end to end on the embedded broker. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Run a demo on an embedded broker, registry and server, and check its views.",
                "shop: Debezium-shaped change events of a shop's customers and orders are produced with a plain Kafka "
                        + "producer; the sources and joins of examples/shop.pq turn them into orders and revenue per "
                        + "customer and each order with its customer's email; the views are compared with the same "
                        + "computed by the demo from the rows it produced."})
final class DemoCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "NAME", description = "The demo: shop.")
    String name;

    @Option(names = "--joins", paramLabel = "FILE", description = "The spec (default: ${DEFAULT-VALUE}).")
    Path joins = Path.of("examples", "shop.pq");

    @Option(names = "--customers", description = "Customers (default: ${DEFAULT-VALUE}).")
    int customers = 50;

    @Option(names = "--orders", description = "Orders (default: ${DEFAULT-VALUE}).")
    int orders = 2_000;

    @Option(names = "--keep", description = "Keep serving after the check, until Ctrl-C, to try the views by hand.")
    boolean keep;

    @Override
    public Integer call() throws Exception {
        if (!name.equals("shop")) {
            throw new PequodCli.UserException("unknown demo '" + name + "'; demos: shop", 2);
        }
        JoinSpec spec;
        try {
            spec = JoinSpecParser.parse(joins);
        } catch (IOException e) {
            throw new PequodCli.UserException("cannot read " + joins + " (run from the repository's root, or give --joins): "
                    + e.getMessage(), 2);
        }
        ShopWorkload shop = new ShopWorkload(customers, orders, 42);
        try (AllInOne all = AllInOne.start("shop", spec, Set.of())) {
            System.out.println("server " + all.url() + ", Redis port " + all.server().respPort() + "; sources: "
                    + spec.sources().size() + ", views: " + spec.materializedViewTables());
            shop.produce(all.runtime().bootstrapServers(), System.out);
            boolean exact = await(all.url(), shop.expectedViews());
            show(all.url());
            if (keep) {
                System.out.println("serving until Ctrl-C; try: curl -s '" + all.url() + "/v1/scan?first=norders%7C&last=norders%7D'"
                        + " or curl -s " + all.url() + "/health");
                Thread.currentThread().join();
            }
            return exact ? 0 : 1;
        }
    }

    private static boolean await(String url, Map<String, Map<String, String>> expected) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        long t0 = System.nanoTime();
        int total = expected.values().stream().mapToInt(Map::size).sum();
        while (true) {
            int matching = 0;
            Map<String, String> wrong = new TreeMap<>();
            for (Map.Entry<String, Map<String, String>> e : expected.entrySet()) {
                Map<String, String> actual = ShopWorkload.scan(url, e.getKey());
                for (Map.Entry<String, String> row : e.getValue().entrySet()) {
                    if (row.getValue().equals(actual.get(row.getKey()))) {
                        matching++;
                    } else {
                        wrong.put(row.getKey(), "expected " + row.getValue() + ", got " + actual.get(row.getKey()));
                    }
                }
                actual.keySet().removeAll(e.getValue().keySet());
                actual.forEach((k, v) -> wrong.put(k, "not expected, got " + v));
            }
            System.out.printf("views: %d of %d rows as computed from the rows produced (%.1f s)%n", matching, total,
                    (System.nanoTime() - t0) / 1e9);
            if (wrong.isEmpty()) {
                System.out.println("views exact");
                return true;
            }
            if (System.nanoTime() > deadline) {
                System.out.println("views NOT exact after 3 minutes; first differences:");
                wrong.entrySet().stream().limit(10).forEach(w -> System.out.println("  " + w.getKey() + ": " + w.getValue()));
                return false;
            }
            Thread.sleep(1_000);
        }
    }

    private static void show(String url) throws Exception {
        Map<String, String> emails = ShopWorkload.scan(url, "c");
        Map<String, String> norders = ShopWorkload.scan(url, "norders");
        Map<String, String> revenue = ShopWorkload.scan(url, "revenue");
        System.out.printf("%-10s %-40s %7s %12s%n", "customer", "email (table c)", "orders", "revenue");
        emails.entrySet().stream().limit(8).forEach(e -> {
            String id = e.getKey().substring(2);
            String cents = revenue.getOrDefault("revenue|" + id, "0");
            System.out.printf("%-10s %-40s %7s %12.2f%n", id, e.getValue(), norders.getOrDefault("norders|" + id, "0"),
                    Long.parseLong(cents) / 100.0);
        });
        if (emails.size() > 8) {
            System.out.println("... " + (emails.size() - 8) + " more customers");
        }
    }
}
