package io.pequod.apps.cli;

import io.pequod.embedded.EmbeddedRuntimeException;
import io.pequod.schemas.PequodException;
import picocli.CommandLine.Command;
import picocli.CommandLine;

import java.io.IOException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The {@code pequod} command line: {@code serve} runs a server (with the embedded broker and
 * registry unless given a cluster), the other subcommands are its clients and tools.
 */
@Command(name = "pequod", mixinStandardHelpOptions = true, versionProvider = PequodCli.Version.class,
        description = "Pequod on Kafka: a materialized-view cache with cache joins on Kafka Streams.",
        subcommands = {ServeCommand.class, PutCommand.class, GetCommand.class, EraseCommand.class, ScanCommand.class,
                CountCommand.class, LoadCommand.class, JoinsCommand.class, InstallJoinsCommand.class, RebuildCommand.class,
                ConfigCommand.class, DemoCommand.class, TwitterCommand.class, NewpCommand.class, BenchCommand.class,
                CommandLine.HelpCommand.class})
public final class PequodCli implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /**
     * Runs the command line and exits with its code.
     *
     * @param args the arguments
     */
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** @return the configured command line (for tests) */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new PequodCli());
        cl.setExecutionExceptionHandler(new ErrorHandler());
        return cl;
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Prints one line for Pequod's own errors; a stack trace only for bugs. */
    static final class ErrorHandler implements CommandLine.IExecutionExceptionHandler {
        @Override
        public int handleExecutionException(Exception ex, CommandLine cl, CommandLine.ParseResult parsed) {
            Throwable t = ex;
            while (t instanceof CompletionException || t instanceof ExecutionException) {
                t = t.getCause() == null ? t : t.getCause();
                if (t == ex) {
                    break;
                }
            }
            if (t instanceof PequodException || t instanceof EmbeddedRuntimeException
                    || t instanceof IllegalArgumentException || t instanceof IOException
                    || t instanceof UserException) {
                cl.getErr().println("pequod " + cl.getCommandName() + ": " + t.getMessage());
                return t instanceof UserException u ? u.exitCode : 1;
            }
            cl.getErr().println("pequod " + cl.getCommandName() + ": internal error: " + t);
            t.printStackTrace(cl.getErr());
            return 70;
        }
    }

    /** An error the user can fix, with the exit code to use. */
    static final class UserException extends RuntimeException {
        final int exitCode;

        UserException(String message, int exitCode) {
            super(message, null, false, false);
            this.exitCode = exitCode;
        }
    }

    /** The version from the jar's manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = PequodCli.class.getPackage().getImplementationVersion();
            return new String[] {"pequod " + (v == null ? "development" : v)};
        }
    }
}
