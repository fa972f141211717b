package io.pequod.apps.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/** {@code pequod erase KEY}. */
@Command(name = "erase", mixinStandardHelpOptions = true, description = "Erase KEY through the server; prints the write's token.")
final class EraseCommand implements Callable<Integer> {
    @Mixin
    ClientOptions client;

    @Parameters(index = "0", paramLabel = "KEY", description = "The key.")
    String key;

    @Override
    public Integer call() {
        JsonNode n = client.call("DELETE", "/v1/keys/" + ClientOptions.enc(key), null, false);
        System.out.println(client.json ? n.toString() : n.path("token").asText());
        return 0;
    }
}
