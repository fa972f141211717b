package io.pequod.apps.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/** {@code pequod scan FIRST LAST}. */
@Command(name = "scan", mixinStandardHelpOptions = true,
        description = {"Print the keys in [FIRST, LAST) in order, e.g. scan 't|00000001|' 't|00000001}'."})
final class ScanCommand implements Callable<Integer> {
    @Mixin
    ClientOptions client;

    @Parameters(index = "0", paramLabel = "FIRST", description = "First key (inclusive).")
    String first;

    @Parameters(index = "1", paramLabel = "LAST", description = "End key (exclusive).")
    String last;

    @Option(names = "--limit", paramLabel = "N", description = "Most entries (server default 100, at most 10000).")
    Integer limit;

    @Override
    public Integer call() {
        JsonNode n = client.call("GET", "/v1/scan?first=" + ClientOptions.enc(first) + "&last=" + ClientOptions.enc(last)
                + (limit == null ? "" : "&limit=" + limit), null, false);
        if (client.json) {
            System.out.println(n);
            return 0;
        }
        int width = 3;
        for (JsonNode e : n.path("entries")) {
            width = Math.max(width, e.path("key").asText().length());
        }
        System.out.printf("%-" + width + "s  %s%n", "KEY", "VALUE");
        for (JsonNode e : n.path("entries")) {
            System.out.printf("%-" + width + "s  %s%n", e.path("key").asText(), e.path("value").asText());
        }
        System.out.println("(" + n.path("entries").size() + " entries" + (n.path("more").asBoolean() ? "; more: raise --limit" : "") + ")");
        return 0;
    }
}
