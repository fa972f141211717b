package io.pequod.embedded;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Main class of one node of a local Kafka cluster, in a JVM of its own so that it can be killed
 * for real: an {@link EmbeddedKafka} with {@link EmbeddedKafka.Cluster} settings. It prints
 * {@code READY host:port} once it answers, and stops the broker on SIGTERM.
 *
 * <pre>
 * java -cp ... io.pequod.embedded.KafkaNodeMain --data-dir D --node-id 2 --port 19092 \
 *     --controller-port 19093 --voters 1@127.0.0.1:19091,2@127.0.0.1:19093,3@127.0.0.1:19095 \
 *     --cluster-id CLUSTER_ID --replication-factor 3
 * </pre>
 */
public final class KafkaNodeMain {
    /** What the node prints once it answers, before its address. */
    public static final String READY = "READY ";

    private KafkaNodeMain() {
    }

    /**
     * @param args the options above, all required
     */
    public static void main(String[] args) {
        Map<String, String> opts = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                usage("not an option: " + args[i]);
            }
            opts.put(args[i].substring(2), args[i + 1]);
        }
        if (args.length % 2 != 0) {
            usage("option " + args[args.length - 1] + " has no value");
        }
        try {
            EmbeddedKafka.Cluster node = new EmbeddedKafka.Cluster(need(opts, "cluster-id"), Integer.parseInt(need(opts, "node-id")),
                    Integer.parseInt(need(opts, "controller-port")), need(opts, "voters"),
                    Integer.parseInt(need(opts, "replication-factor")));
            EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(Path.of(need(opts, "data-dir")))
                    .brokerPort(Integer.parseInt(need(opts, "port"))).cluster(node).build();
            Runtime.getRuntime().addShutdownHook(new Thread(kafka::close, "kafka-node-stopper"));
            kafka.start();
            System.out.println(READY + kafka.bootstrapServers());
            System.out.flush();
        } catch (NumberFormatException e) {
            usage("not a number: " + e.getMessage());
        }
    }

    private static String need(Map<String, String> opts, String name) {
        String v = opts.get(name);
        if (v == null) {
            usage("missing --" + name);
        }
        return v;
    }

    private static void usage(String why) {
        System.err.println("KafkaNodeMain: " + why + "; needs --data-dir --node-id --port --controller-port --voters "
                + "--cluster-id --replication-factor");
        System.exit(2);
    }
}
