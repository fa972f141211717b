package io.pequod.apps.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pequod.embedded.EmbeddedRuntime;
import io.pequod.embedded.Files2;
import io.pequod.server.PequodServer;
import io.pequod.views.spec.JoinSpecParser;
import io.pequod.apps.deploy.DashboardMetrics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The operator's console in a real browser (Debian's chromium, headless, through chromedriver)
 * against a real server with {@code examples/twitter.pq}: what it shows must equal what the API
 * answers, and each page's screenshot is kept in {@code target/console-screenshots/}.
 */
@Timeout(300)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Path SHOTS = Path.of("target", "console-screenshots");
    private static final int USERS = 20;
    private static EmbeddedRuntime runtime;
    private static PequodServer server;
    private static Path dir;
    private static ChromeDriver browser;
    private static String base;

    @BeforeAll
    static void start() throws Exception {
        File chromium = new File("/usr/bin/chromium");
        File driver = new File("/usr/bin/chromedriver");
        assertTrue(chromium.canExecute() && driver.canExecute(),
                "the console is tested in Debian's chromium: apt-get install chromium chromium-driver (.ci/run does)");
        runtime = EmbeddedRuntime.start(null);
        dir = Files.createTempDirectory("pequod-console-");
        // twitter.pq, and for the partial-views page and the dashboard's metrics a partial timeline and a source
        String spec = Files.readString(Path.of("..", "examples", "twitter.pq"))
                + "\ntp|<user>|<time>|<poster> = partial copy p|<poster>|<time> using s|<user>|<poster> where user:8, time:10, poster:8\n"
                + "source ext from topic 'console-ext' format json key 'ext|{id:08}' value '{v}'\n";
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, runtime.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic("console-ext", 1, (short) 1))).all().get();
        }
        server = PequodServer.builder().bootstrapServers(runtime.bootstrapServers()).schemaRegistryUrl(runtime.schemaRegistryUrl())
                .namespace("console").dataDir(dir).httpPort(0).respPort(-1).partitions(4)
                .spec(JoinSpecParser.parse("twitter.pq", spec)).build().start();
        assertTrue(server.awaitRunning(Duration.ofMinutes(2)));
        base = "http://127.0.0.1:" + server.httpPort();
        // 20 users each following 4 posters, 20 posters with 6 posts each: 24 timeline rows per user
        StringBuilder batch = new StringBuilder();
        for (int u = 1; u <= USERS; u++) {
            for (int k = 1; k <= 4; k++) {
                batch.append(line(String.format("s|%08d|%08d", u, (u + k * 3) % USERS + 1), "1"));
            }
        }
        for (int p = 1; p <= USERS; p++) {
            for (int t = 1; t <= 6; t++) {
                batch.append(line(String.format("p|%08d|%010d", p, 1000 + t * 10 + p), "post " + t + " by " + p));
            }
        }
        assertEquals(200, call("POST", "/v1/batch", batch.toString()).statusCode());
        assertEquals(200, call("GET", "/v1/settle?timeout_ms=60000", null).statusCode());

        Files.createDirectories(SHOTS);
        ChromeOptions o = new ChromeOptions().setBinary(chromium).addArguments("--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1300,950");
        browser = new ChromeDriver(new ChromeDriverService.Builder().usingDriverExecutable(driver).build(), o);
        browser.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (server != null) {
            server.close();
        }
        if (runtime != null) {
            runtime.close();
        }
        if (dir != null) {
            Files2.deleteRecursively(dir);
        }
    }

    private static String line(String key, String value) throws Exception {
        return JSON.writeValueAsString(Map.of("key", key, "value", value)) + "\n";
    }

    private static HttpResponse<String> call(String method, String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).method(method, body == null
                ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode get(String path) throws Exception {
        HttpResponse<String> r = call("GET", path, null);
        assertEquals(200, r.statusCode(), path + ": " + r.body());
        return JSON.readTree(r.body());
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static void open(String page) {
        browser.get(base + "/ui/#/" + page);
        browser.navigate().refresh(); // a new hash on the same document only re-routes; start each page fresh
    }

    private static WebDriverWait waiting(int seconds) {
        WebDriverWait w = new WebDriverWait(browser, Duration.ofSeconds(seconds));
        w.ignoring(org.openqa.selenium.NoSuchElementException.class).ignoring(org.openqa.selenium.StaleElementReferenceException.class);
        return w;
    }

    private static void screenshot(String name) throws Exception {
        File f = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
        Files.copy(f.toPath(), SHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    }

    @Test
    @Order(1)
    void theTimelinesRowCountInTheConsoleEqualsCount() throws Exception {
        long count = get("/v1/count?first=" + enc("t|") + "&last=" + enc("t}")).path("count").asLong();
        assertEquals(USERS * 24, count, "the join made every timeline row");
        open("views");
        WebElement rows = waiting(30).until(d -> {
            WebElement e = d.findElement(By.id("rows-t"));
            return e.getAttribute("data-count") != null ? e : null;
        });
        assertEquals(Long.toString(count), rows.getAttribute("data-count"));
        assertEquals(String.format("%,d", count), rows.getText());
        assertTrue(browser.findElement(By.id("table-t")).getText().contains("copy p|<poster>|<time> using s|<user>|<poster>"),
                "the view's definition is shown");
        // the live chart draws the view's recent latencies
        waiting(15).until(d -> !d.findElements(By.cssSelector("#latency-chart polyline[data-series=p99]")).isEmpty());
        screenshot("views");

        open("instances");
        WebElement row = waiting(30).until(d -> d.findElement(By.cssSelector("#instances tbody tr[data-instance]")));
        assertTrue(row.getText().contains("UP"), row.getText());
        JsonNode instances = get("/v1/instances");
        int partitions = 0;
        for (JsonNode t : instances.path("tables")) {
            for (JsonNode p : t.path("partitions")) {
                assertEquals(instances.path("self").asText(), p.path("active").asText(), "one instance owns every partition");
                partitions++;
            }
        }
        for (String t : List.of("s", "p", "t")) {
            assertEquals(8, instances.path("tables").path(t).path("partitions").size(), t + " has 8 partitions (twitter.pq)");
        }
        assertEquals(partitions, browser.findElements(By.cssSelector("#partition-table .cell.active")).size());
        screenshot("instances");
    }

    @Test
    @Order(2)
    void aMalformedRecordAppearsAmongTheDeadLettersWithItsReason() throws Exception {
        String key = "p|00000099|0000009999";
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                runtime.bootstrapServers()), new ByteArraySerializer(), new ByteArraySerializer())) {
            p.send(new ProducerRecord<>("console.p", key.getBytes(StandardCharsets.UTF_8),
                    "<b>this is not a change record</b>".getBytes(StandardCharsets.UTF_8))).get();
        }
        open("dead-letters");
        WebElement row = waiting(60).until(d -> {
            for (WebElement r : d.findElements(By.cssSelector("#dead-letters tr.dead-letter"))) {
                if (r.findElement(By.cssSelector(".key")).getText().contains(key)) {
                    return r;
                }
            }
            d.navigate().refresh();
            return null;
        });
        JsonNode api = get("/v1/dead-letters?limit=10").path("dead_letters").get(0);
        assertEquals(key, api.path("key").asText(), "newest first");
        String reason = row.findElement(By.cssSelector(".reason")).getText();
        assertFalse(reason.isBlank(), "a reason is shown");
        assertEquals(api.path("reason").asText(), reason);
        assertTrue(row.findElement(By.cssSelector(".origin")).getText().startsWith("console.p / "), row.getText());
        assertTrue(row.getText().contains("<b>this is not a change record</b>"), "the record is shown, as text: " + row.getText());
        screenshot("dead-letters");
    }

    @Test
    @Order(3)
    void anInstallShowsItsProgressAndThenTheNewView() throws Exception {
        open("installs");
        WebElement text = waiting(10).until(d -> d.findElement(By.id("install-text")));
        text.sendKeys("nf|<user> = count s|<user>|<poster> where user:8, poster:8\n");
        browser.findElement(By.id("install-go")).click();
        WebElement result = waiting(60).until(d -> {
            WebElement r = d.findElement(By.id("install-result"));
            return r.getText().startsWith("installed") ? r : null;
        });
        assertTrue(result.getText().contains("nf → "), result.getText());
        // the new view's application appears with a progress bar that reaches 100%
        WebElement bar = waiting(120).until(d -> {
            List<WebElement> fresh = d.findElements(By.cssSelector("#progress tr.application.fresh [role=progressbar]"));
            return !fresh.isEmpty() && "100".equals(fresh.get(0).getAttribute("aria-valuenow")) ? fresh.get(0) : null;
        });
        assertTrue(bar.getText().contains("100%"), bar.getText());
        screenshot("installs");
        open("views");
        WebElement rows = waiting(60).until(d -> {
            WebElement e = d.findElement(By.id("rows-nf"));
            if (e.getAttribute("data-count") == null) {
                return null;
            }
            if (!e.getAttribute("data-count").equals(Integer.toString(USERS))) {
                d.navigate().refresh();
                return null;
            }
            return e;
        });
        assertEquals(Integer.toString(USERS), rows.getAttribute("data-count"), "one count per user");
        assertEquals("4", get("/v1/keys/" + enc("nf|00000001")).path("value").asText());
    }

    @Test
    @Order(4)
    void aRangeBrowsePagesThroughATimeline() throws Exception {
        String first = "t|00000001|";
        String last = "t|00000001}";
        List<String> expected = new ArrayList<>();
        get("/v1/scan?first=" + enc(first) + "&last=" + enc(last) + "&limit=1000").path("entries")
                .forEach(e -> expected.add(e.path("key").asText()));
        assertEquals(24, expected.size());
        open("browse");
        waiting(10).until(d -> d.findElement(By.id("scan-first"))).sendKeys(first);
        browser.findElement(By.id("scan-last")).sendKeys(last);
        WebElement limit = browser.findElement(By.id("scan-limit"));
        limit.clear();
        limit.sendKeys("10");
        browser.findElement(By.id("scan-go")).click();
        List<String> seen = new ArrayList<>();
        int pages = 0;
        while (true) {
            int page = ++pages;
            waiting(20).until(d -> d.findElement(By.id("scan-page")).getText().startsWith("page " + page + ":"));
            for (WebElement k : browser.findElements(By.cssSelector("#scan-results tr.entry .key"))) {
                seen.add(k.getText());
            }
            if (page == 2) {
                screenshot("browse");
            }
            WebElement next = browser.findElement(By.id("scan-next"));
            if (!next.isEnabled()) {
                break;
            }
            next.click();
        }
        assertEquals(3, pages, "24 rows, 10 per page");
        assertEquals(expected, seen, "every key once, in order");
        browser.findElement(By.id("scan-count")).click();
        assertEquals("24", waiting(20).until(d -> d.findElement(By.id("count-value"))).getText());
        browser.findElement(By.id("scan-prev")).click();
        waiting(20).until(d -> d.findElement(By.id("scan-page")).getText().startsWith("page 2:"));
        assertEquals(expected.get(10), browser.findElement(By.cssSelector("#scan-results tr.entry .key")).getText());

        // a read materializes a timeline of the partial view: the partial page shows it
        assertEquals(24, get("/v1/scan?first=" + enc("tp|00000001|") + "&last=" + enc("tp|00000001}")).path("entries").size());
        open("partial");
        WebElement row = waiting(20).until(d -> d.findElement(By.cssSelector("#partial tr[data-view=tp]")));
        assertEquals("1", row.findElement(By.cssSelector(".ranges")).getText(), "one materialized range");
        assertEquals(get("/health").path("partial_views").path("tp").path("activations").asText(),
                row.findElement(By.cssSelector(".activations")).getText());
        screenshot("partial");
    }

    @Test
    @Order(5)
    void theGrafanaDashboardQueriesOnlyMetricsTheServerExports() throws Exception {
        // what some meters wait for: a request that fails, a source's records (one malformed), a restore-free server's scrape
        assertEquals(400, call("GET", "/v1/scan", null).statusCode());
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                runtime.bootstrapServers()), new ByteArraySerializer(), new ByteArraySerializer())) {
            p.send(new ProducerRecord<>("console-ext", "{\"id\": 1, \"v\": \"x\"}".getBytes(StandardCharsets.UTF_8))).get();
            p.send(new ProducerRecord<>("console-ext", "{not json".getBytes(StandardCharsets.UTF_8))).get();
        }
        Set<String> queried = DashboardMetrics.queriedMetrics(Path.of("..", "deploy", "grafana", "pequod-dashboard.json"));
        assertTrue(queried.size() > 20, queried.toString());
        Set<String> missing = new TreeSet<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        do {
            HttpResponse<String> scrape = call("GET", "/metrics", null);
            assertEquals(200, scrape.statusCode());
            missing.clear();
            missing.addAll(queried);
            missing.removeAll(DashboardMetrics.exportedMetrics(scrape.body()));
            if (!missing.isEmpty()) {
                Thread.sleep(1000);
            }
        } while (!missing.isEmpty() && System.nanoTime() < deadline);
        assertEquals(Set.of(), missing, "every metric the dashboard queries is exported");
    }
}
