package io.pequod.apps;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The module and package rules of ARCHITECTURE.md, checked on the compiled main classes of every
 * module (the apps module sees them all): one-way arrows between modules, internals private to
 * their module, views knowing nothing of HTTP, no package cycles, a package-info for every package.
 */
class ArchitectureTest {
    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("io.pequod");
        for (String c : List.of("io.pequod.schemas.Key", "io.pequod.embedded.EmbeddedKafka", "io.pequod.ingest.ChangeWriter",
                "io.pequod.views.internals.engine.TableLayout", "io.pequod.server.query.QueryService", "io.pequod.apps.cli.PequodCli")) {
            assertTrue(classes.contain(c), "every module's classes are checked: " + c + " is missing");
        }
    }

    @Test
    void modulesDependOneWay() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("schemas").definedBy("io.pequod.schemas..")
                .layer("embedded").definedBy("io.pequod.embedded..")
                .layer("ingest").definedBy("io.pequod.ingest..")
                .layer("views").definedBy("io.pequod.views..")
                .layer("server").definedBy("io.pequod.server..")
                .layer("apps").definedBy("io.pequod.apps..")
                .whereLayer("apps").mayNotBeAccessedByAnyLayer()
                .whereLayer("server").mayOnlyBeAccessedByLayers("apps")
                .whereLayer("views").mayOnlyBeAccessedByLayers("server", "apps")
                .whereLayer("ingest").mayOnlyBeAccessedByLayers("views", "server", "apps")
                .whereLayer("embedded").mayOnlyBeAccessedByLayers("server", "apps")
                .check(classes);
    }

    @Test
    void internalsStayInTheirModule() {
        for (String module : List.of("io.pequod.views", "io.pequod.server")) {
            ArchRule rule = noClasses().that().resideOutsideOfPackage(module + "..")
                    .should().dependOnClassesThat().resideInAPackage(module + ".internals..")
                    .because("only " + module + " may use its internals; others use its public API");
            rule.check(classes);
        }
    }

    @Test
    void viewsKnowNothingOfHttp() {
        noClasses().that().resideInAPackage("io.pequod.views..")
                .should().dependOnClassesThat().resideInAnyPackage("io.netty..", "java.net.http..", "com.sun.net.httpserver..",
                        "io.pequod.server..", "io.pequod.apps..")
                .check(classes);
    }

    @Test
    void frontEndsShareTheQuerySide() {
        noClasses().that().resideInAnyPackage("io.pequod.server.http..", "io.pequod.server.resp..", "io.pequod.server.memento..")
                .should().dependOnClassesThat().haveFullyQualifiedName("io.pequod.views.ViewEngine")
                .orShould().dependOnClassesThat().resideInAPackage("io.pequod.ingest..")
                .because("front ends read, write and administer through QueryService and AdminService")
                .check(classes);
    }

    @Test
    void facadesStaySmall() throws IOException {
        // A facade that grows past this has taken on a job of its own: give it a class in its internals.
        Path root = Path.of("..").toAbsolutePath().normalize();
        for (String facade : List.of("views/src/main/java/io/pequod/views/ViewEngine.java",
                "query-server/src/main/java/io/pequod/server/query/QueryService.java",
                "query-server/src/main/java/io/pequod/server/query/AdminService.java",
                "query-server/src/main/java/io/pequod/server/PequodServer.java")) {
            long lines;
            try (Stream<String> l = Files.lines(root.resolve(facade))) {
                lines = l.count();
            }
            assertTrue(lines <= 300, facade + " has " + lines + " lines; a facade stays at most 300");
        }
    }

    @Test
    void noPackageCycles() {
        slices().matching("io.pequod.(**)").should().beFreeOfCycles().check(classes);
    }

    @Test
    void everyPackageSaysWhatItIsFor() throws IOException {
        Path root = Path.of("..").toAbsolutePath().normalize();
        List<String> missing;
        try (Stream<Path> files = Files.walk(root)) {
            missing = files.filter(p -> p.toString().endsWith(".java") && p.toString().contains("/src/main/java/")
                            && !p.toString().contains("/target/"))
                    .map(Path::getParent).distinct()
                    .filter(d -> !Files.exists(d.resolve("package-info.java")))
                    .map(d -> root.relativize(d).toString()).sorted().toList();
        }
        assertEquals(List.of(), missing, "packages without package-info.java");
    }
}
