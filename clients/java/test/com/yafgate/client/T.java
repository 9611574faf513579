package com.yafgate.client;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;

/** A tiny test runner: named checks, counted, with a detail on failure. */
final class T {
    static int passed;
    static int failed;

    private T() {}

    /** A check; detail must never hold a secret, token or password. */
    static boolean check(String what, boolean ok, Object detail) {
        if (ok) {
            passed++;
            System.out.println("ok   " + what);
        } else {
            failed++;
            System.out.println("FAIL " + what + (detail == null ? "" : ": " + detail));
        }
        return ok;
    }

    static boolean check(String what, boolean ok) {
        return check(what, ok, null);
    }

    static boolean eq(String what, Object expected, Object actual) {
        boolean same = expected == null ? actual == null : expected.equals(actual);
        return check(what, same, "expected " + show(expected) + ", got " + show(actual));
    }

    /** Runs a group of checks; an exception in it is a failure, not a crash. */
    static void group(String name, Body body) {
        try {
            body.run();
        } catch (Throwable e) {
            check(name + " ran to its end", false, e);
        }
    }

    interface Body {
        void run() throws Exception;
    }

    private static String show(Object v) {
        return v instanceof String ? Json.write(v) : String.valueOf(v);
    }

    /** The repository's root, given by run-tests.sh. */
    static File root() {
        String r = System.getProperty("yafgate.root");
        if (r == null) throw new IllegalStateException("-Dyafgate.root is not set (clients/java/run-tests.sh sets it)");
        return new File(r);
    }

    static String read(String relative) throws IOException {
        return new String(Files.readAllBytes(new File(root(), relative).toPath()), Yafgate.UTF_8);
    }

    /** clients/vectors.json, read with the kit's own parser. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> vectors() throws IOException {
        return (Map<String, Object>) Json.parse(read("clients/vectors.json"));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object v) {
        return (Map<String, Object>) v;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object v) {
        return (List<Object>) v;
    }
}
