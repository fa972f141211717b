package io.pequod.apps.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/** {@code pequod rebuild VIEW}. */
@Command(name = "rebuild", mixinStandardHelpOptions = true,
        description = {"Rebuild one view from the compacted topics: erase its keys and recompute it from its sources.",
                "The server answers once the new generation is running; the view fills again in the background."})
final class RebuildCommand implements Callable<Integer> {
    @Mixin
    ClientOptions client;

    @Parameters(index = "0", paramLabel = "VIEW", description = "The view table, e.g. t.")
    String view;

    @Override
    public Integer call() {
        JsonNode n = client.call("POST", "/v1/views/" + ClientOptions.enc(view) + "/rebuild", null, false);
        System.out.println(client.json ? n.toString() : "rebuilding view " + view + " as " + n.path("application").asText());
        return 0;
    }
}
