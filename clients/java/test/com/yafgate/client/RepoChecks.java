package com.yafgate.client;

import static com.yafgate.client.T.check;

import java.io.File;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks on files next to the kit: the Swift kit's tests name only
 * vectors that clients/vectors.json has (the Swift toolchain is not here
 * to run them), and the Java kit imports only what Android has.
 */
final class RepoChecks {
    private RepoChecks() {}

    /** The packages the kit may import: Java 8 APIs that Android has had from its early API levels. */
    private static final List<String> ANDROID_SAFE = Arrays.asList("java.io.", "java.lang.reflect.", "java.math.", "java.net.",
            "java.nio.charset.", "java.security.", "java.util.concurrent.atomic.", "java.util.");
    /** java.util's parts that Android lacks or gained late (API 24+). */
    private static final List<String> ANDROID_LATE = Arrays.asList("java.util.function.", "java.util.stream.", "java.util.Base64",
            "java.util.Optional");

    static void run() throws Exception {
        File src = new File(T.root(), "clients/java/src/com/yafgate/client");
        String[] names = src.list();
        check("the kit's sources are there", names != null && names.length >= 10);
        Pattern imp = Pattern.compile("(?m)^import (?:static )?([\\w.]+);");
        for (String name : names) {
            Matcher m = imp.matcher(T.read("clients/java/src/com/yafgate/client/" + name));
            StringBuilder late = new StringBuilder();
            int seen = 0;
            while (m.find()) {
                String i = m.group(1);
                boolean safe = false;
                for (String p : ANDROID_SAFE) safe |= i.startsWith(p);
                for (String p : ANDROID_LATE) safe &= !i.startsWith(p);
                if (!safe) late.append(' ').append(i);
                seen++;
            }
            check(name + ": its " + seen + " imports are all APIs Android has", late.length() == 0, late);
        }
        swift();
    }

    static void swift() throws Exception {
        Map<String, Object> v = T.vectors();
        String tests = T.read("clients/swift/Tests/YafgateTests/YafgateTests.swift");
        String kit = T.read("clients/swift/Sources/Yafgate/Yafgate.swift");
        Matcher sections = Pattern.compile("v\\.(list|section|cases)\\(\"([a-z0-9_]+)\"\\)").matcher(tests);
        int named = 0;
        while (sections.find()) {
            named++;
            Object s = v.get(sections.group(2));
            boolean there = sections.group(1).equals("list") ? s instanceof List
                    : s instanceof Map && (!sections.group(1).equals("cases") || T.map(s).get("cases") instanceof List);
            check("Swift tests: vectors " + sections.group(1) + " \"" + sections.group(2) + "\" exists", there);
        }
        check("Swift tests: they name the vectors they use", named >= 8, named);
        Set<String> keys = new HashSet<String>();
        collectKeys(v, keys);
        Matcher fields = Pattern.compile("\\[\"([a-z0-9_]+)\"\\]").matcher(tests);
        while (fields.find()) check("Swift tests: field \"" + fields.group(1) + "\" is in clients/vectors.json", keys.contains(fields.group(1)));
        Matcher api = Pattern.compile("Yafgate\\.([a-zA-Z0-9]+)\\(").matcher(tests);
        while (api.find()) {
            check("Swift tests: Yafgate." + api.group(1) + " is declared in Yafgate.swift",
                    kit.contains("static func " + api.group(1) + "("));
        }
        for (String fixed : Client.builder("http://x/", "a", "s").build().fixed("m", null).keySet()) {
            check("Swift kit: fills the fixed parameter " + fixed, kit.contains("\"" + fixed + "\": "));
        }
        check("Swift kit: drops the token on the codes the Java kit does", kit.contains("sessionEnded: Set<Int> = [601, 602, 603, 606]")
                && Yafgate.SESSION_ENDED.equals(new HashSet<Integer>(Arrays.asList(601, 602, 603, 606))));
        for (Kind k : Kind.values()) check("Swift kit: has the kind " + k, kit.matches("(?s).*enum YafgateKind: String \\{ case [a-z, ]*\\b" + k + "\\b.*"));
        check("Swift kit: keeps A-Za-z0-9-._~ unencoded in a form value",
                kit.contains("\"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~\""));
    }

    private static void collectKeys(Object o, Set<String> keys) {
        if (o instanceof Map) {
            for (Map.Entry<String, Object> e : T.map(o).entrySet()) {
                keys.add(e.getKey());
                collectKeys(e.getValue(), keys);
            }
        } else if (o instanceof List) {
            for (Object x : T.list(o)) collectKeys(x, keys);
        }
    }
}
