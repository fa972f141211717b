package io.pequod.apps.cli;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * Where the example joins ({@code examples/}) and benchmark reports ({@code bench-results/}) are:
 * the repository root, which the {@code ./pequod} launcher exports as {@code PEQUOD_HOME}.
 */
public final class HomeOption {
    @Option(names = "--home", paramLabel = "DIR", defaultValue = "${env:PEQUOD_HOME:-.}",
            description = "Pequod's directory, holding examples/ (and bench-results/). Default: $PEQUOD_HOME (set by ./pequod), else the "
                    + "current directory: ${DEFAULT-VALUE}.")
    Path home;

    /** @param name a file of examples/ @return its path */
    Path example(String name) {
        return home.resolve("examples").resolve(name);
    }
}
