package com.yafgate.client;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The Java kit's tests (clients/java/run-tests.sh): offline always, live
 * when YAFGATE_URL and the other variables of tests/api/clients.rs are set.
 * Prints "live tests: ran" or "live tests: skipped (…)" and then
 * "N passed, M failed"; exits 1 when any check failed.
 */
public final class AllTests {
    private static final List<String> LIVE_ENV = Arrays.asList("YAFGATE_URL", "YAFGATE_SIGNED_APPID", "YAFGATE_SIGNED_SECRET",
            "YAFGATE_PLAIN_APPID", "YAFGATE_PLAIN_SECRET", "YAFGATE_MOBILE", "YAFGATE_PASSWORD");

    private AllTests() {}

    public static void main(String[] args) throws Exception {
        OfflineTests.run();
        T.group("repository checks", new T.Body() {
            @Override
            public void run() throws Exception {
                RepoChecks.run();
                KotlinMirror.holdsToTheExample();
            }
        });
        Map<String, String> env = System.getenv();
        String missing = null;
        for (String name : LIVE_ENV) {
            if (env.get(name) == null || env.get(name).isEmpty()) missing = missing == null ? name : missing;
        }
        if (env.get("YAFGATE_URL") == null) {
            System.out.println("live tests: skipped (YAFGATE_URL is not set; tests/api/clients.rs sets it)");
        } else if (missing != null) {
            T.check("live tests: " + missing + " is set beside YAFGATE_URL", false);
        } else {
            new LiveTests(env).run();
            System.out.println("live tests: ran");
        }
        System.out.println(T.passed + " passed, " + T.failed + " failed");
        System.exit(T.failed == 0 && T.passed > 0 ? 0 : 1);
    }
}
