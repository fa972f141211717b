package io.pequod.apps.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code pequod demo shop} end to end: Debezium change events produced with a plain producer into
 * the embedded broker; the demo exits 0 only when every view row equals what it computed itself
 * from the rows it produced.
 */
@Timeout(600)
class DemoShopIT {
    @Test
    void shouldShowExactViewsOverDebeziumTopics() {
        assertEquals(0, PequodCli.commandLine().execute("demo", "shop", "--joins", "../examples/shop.pq", "--customers", "20",
                "--orders", "400"));
    }

    @Test
    void shouldRefuseAnUnknownDemo() {
        assertEquals(2, PequodCli.commandLine().execute("demo", "bank"));
    }
}
