package io.pequod.apps.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PequodCliTest {
    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        CommandLine cl = PequodCli.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void shouldListEverySubcommandInHelp() {
        Run r = run("--help");
        assertEquals(0, r.code());
        for (String cmd : new String[] {"serve", "put", "get", "erase", "scan", "count", "load", "joins", "install-joins", "rebuild", "demo",
            "twitter", "newp", "bench", "config"}) {
            assertTrue(r.out().contains("  " + cmd + " "), cmd + " missing from:\n" + r.out());
        }
    }

    @Test
    void shouldSayHowToStartWhenNoServerRuns(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("in.jsonl"), "{\"key\": \"p|1\", \"value\": \"v\"}\n");
        Run r = run("load", "--data-dir", dir.toString(), dir.resolve("in.jsonl").toString());
        assertEquals(2, r.code());
        assertEquals("pequod load: no Kafka cluster given and no running `pequod serve` found in " + dir
                + " (no runtime.properties); start `./pequod serve` or pass --bootstrap-servers and --schema-registry",
                r.err().trim());
    }

    @Test
    void shouldSayWhenTheServerIsDown(@TempDir Path dir) {
        Run r = run("get", "--data-dir", dir.toString(), "--server", "http://127.0.0.1:1", "p|1");
        assertEquals(2, r.code());
        assertEquals("pequod get: no Pequod server answers at http://127.0.0.1:1; start one with `./pequod serve` or pass --server",
                r.err().trim());
    }

    @Test
    void shouldRejectMissingArgumentsWithUsage() {
        Run r = run("put", "onlykey");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("Missing required parameter: 'VALUE'"), r.err());
    }
}
