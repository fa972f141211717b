package io.pequod.apps.cli;

import io.pequod.server.PequodConfig;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/** {@code pequod config}: every setting of a server, as the README's configuration table. */
@Command(name = "config", mixinStandardHelpOptions = true,
        description = {"Print every setting of a Pequod server (name, type, default, valid values, description) as a Markdown table.",
                "Give them to `serve` with --config FILE (Java properties) or --set NAME=VALUE."})
final class ConfigCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.out.print(PequodConfig.markdown());
        return 0;
    }
}
