package io.pequod.apps.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/** {@code pequod count FIRST LAST}. */
@Command(name = "count", mixinStandardHelpOptions = true, description = "Print the number of keys in [FIRST, LAST).")
final class CountCommand implements Callable<Integer> {
    @Mixin
    ClientOptions client;

    @Parameters(index = "0", paramLabel = "FIRST", description = "First key (inclusive).")
    String first;

    @Parameters(index = "1", paramLabel = "LAST", description = "End key (exclusive).")
    String last;

    @Override
    public Integer call() {
        JsonNode n = client.call("GET", "/v1/count?first=" + ClientOptions.enc(first) + "&last=" + ClientOptions.enc(last), null, false);
        System.out.println(client.json ? n.toString() : n.path("count").asText());
        return 0;
    }
}
