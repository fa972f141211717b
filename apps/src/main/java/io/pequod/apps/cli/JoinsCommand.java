package io.pequod.apps.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.concurrent.Callable;

/** {@code pequod joins}: the joins in force on a server. */
@Command(name = "joins", mixinStandardHelpOptions = true,
        description = "List the joins in force on a server (given at start or installed since) and its tables.")
final class JoinsCommand implements Callable<Integer> {
    @Mixin
    ClientOptions client;

    @Override
    public Integer call() {
        JsonNode n = client.call("GET", "/v1/joins", null, false);
        if (client.json) {
            System.out.println(n);
            return 0;
        }
        for (JsonNode j : n.path("joins")) {
            System.out.println(j.path("sink").asText() + "  " + j.path("mode").asText() + " " + j.path("operator").asText()
                    + "  (" + j.path("position").asText() + ")");
            System.out.println("    " + j.path("text").asText());
        }
        for (JsonNode d : n.path("sources")) {
            System.out.println(d.path("table").asText() + "  source " + d.path("format").asText() + " from " + d.path("topic").asText()
                    + "  (" + d.path("position").asText() + ")");
            System.out.println("    " + d.path("text").asText());
        }
        System.out.println("(" + n.path("joins").size() + " joins, " + n.path("sources").size() + " sources; tables "
                + n.path("tables") + ")");
        return 0;
    }
}
