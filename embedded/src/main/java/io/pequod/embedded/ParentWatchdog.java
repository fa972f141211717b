package io.pequod.embedded;

import java.lang.reflect.InvocationTargetException;
import java.util.Arrays;

/**
 * Main class of child JVMs (the schema registry): runs the real main class and exits when the
 * parent process is gone, even if the parent was killed with SIGKILL and could not stop its
 * children. Uses only the JDK, so that it can run from a jar of its own.
 *
 * <p>{@code java -cp APP.jar:watchdog.jar io.pequod.embedded.ParentWatchdog PARENT_PID MAIN_CLASS ARGS...}
 */
public final class ParentWatchdog {
    /** How often the parent is looked at. */
    static final long PERIOD_MS = 500;

    private ParentWatchdog() {
    }

    /**
     * @param args the parent's pid, the main class, then its arguments
     * @throws Throwable whatever the main class throws
     */
    public static void main(String[] args) throws Throwable {
        if (args.length < 2) {
            System.err.println("usage: ParentWatchdog PARENT_PID MAIN_CLASS [ARGS...]");
            System.exit(2);
        }
        long pid = Long.parseLong(args[0]);
        ProcessHandle parent = ProcessHandle.of(pid).filter(ProcessHandle::isAlive).orElse(null);
        if (parent == null) {
            System.err.println("parent process " + pid + " is not running; not starting " + args[1]);
            System.exit(1);
        }
        Thread watch = new Thread(() -> {
            try {
                while (parent.isAlive()) { // pid and start time: a reused pid is another process
                    Thread.sleep(PERIOD_MS);
                }
            } catch (InterruptedException e) {
                return;
            }
            System.err.println("parent process " + pid + " is gone; stopping");
            System.exit(0); // shutdown hooks run: the application closes its files
        }, "parent-watchdog");
        watch.setDaemon(true);
        watch.start();
        try {
            Class.forName(args[1]).getMethod("main", String[].class).invoke(null, (Object) Arrays.copyOfRange(args, 2, args.length));
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
