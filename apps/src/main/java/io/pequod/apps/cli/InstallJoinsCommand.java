package io.pequod.apps.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code pequod install-joins FILE}: installs joins into a running server. */
@Command(name = "install-joins", mixinStandardHelpOptions = true,
        description = {"Install the joins of a spec file into a running server (POST /v1/joins), as if it had been started with them.",
                "Joins already installed are skipped; the server records the spec, so restarts keep it."})
final class InstallJoinsCommand implements Callable<Integer> {
    @Mixin
    ClientOptions client;

    @Parameters(index = "0", paramLabel = "FILE", description = "A join spec in Pequod's join language, e.g. examples/twitter.pq.")
    Path file;

    @Override
    public Integer call() {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new PequodCli.UserException("cannot read join spec " + file + ": " + e.getMessage(), 2);
        }
        JsonNode n = client.call("POST", "/v1/joins?name=" + ClientOptions.enc(file.getFileName().toString()), text, false);
        if (client.json) {
            System.out.println(n);
        } else if (n.path("added").isEmpty()) {
            System.out.println("nothing to install: every join of " + file + " is installed already");
        } else {
            System.out.println("installed " + n.path("added").size() + " join(s) and source(s) from " + file);
            n.path("started").properties().forEach(e -> System.out.println("  view " + e.getKey() + ": application "
                    + e.getValue().asText()));
            if (!n.path("new_tables").isEmpty()) {
                System.out.println("  new tables: " + n.path("new_tables"));
            }
        }
        return 0;
    }
}
