package io.pequod.apps.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/** {@code pequod get KEY}. */
@Command(name = "get", mixinStandardHelpOptions = true, description = "Print KEY's value (exit 1 if absent).")
final class GetCommand implements Callable<Integer> {
    @Mixin
    ClientOptions client;

    @Parameters(index = "0", paramLabel = "KEY", description = "The key.")
    String key;

    @Option(names = "--after", paramLabel = "TOKEN", description = "Wait until the write with this token (from put) is applied.")
    String after;

    @Override
    public Integer call() {
        JsonNode n = client.call("GET", "/v1/keys/" + ClientOptions.enc(key) + (after == null ? "" : "?after=" + ClientOptions.enc(after)),
                null, true);
        if (n == null) {
            System.err.println("pequod get: key '" + key + "' is absent");
            return 1;
        }
        System.out.println(client.json ? n.toString() : n.path("value").asText());
        return 0;
    }
}
