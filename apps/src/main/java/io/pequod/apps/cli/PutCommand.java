package io.pequod.apps.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/** {@code pequod put KEY VALUE}. */
@Command(name = "put", mixinStandardHelpOptions = true,
        description = "Set KEY to VALUE through the server; prints the write's token (use it with get --after).")
final class PutCommand implements Callable<Integer> {
    @Mixin
    ClientOptions client;

    @Parameters(index = "0", paramLabel = "KEY", description = "The key, e.g. p|00000001|1000000000.")
    String key;

    @Parameters(index = "1", paramLabel = "VALUE", description = "The value.")
    String value;

    @Override
    public Integer call() {
        JsonNode n = client.call("PUT", "/v1/keys/" + ClientOptions.enc(key), value, false);
        System.out.println(client.json ? n.toString() : n.path("token").asText());
        return 0;
    }
}
