package com.yafgate.client;

import static com.yafgate.client.T.check;
import static com.yafgate.client.T.eq;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Kotlin example of docs/clients.md, call for call in Java, for
 * machines without kotlinc (run-tests.sh compiles the example itself when
 * kotlinc is there). holdsToTheExample() keeps it to the example: the kit calls the
 * example makes, in its order, are the ones below.
 */
final class KotlinMirror {
    private KotlinMirror() {}

    /** The calls on the kit below, in the order written. */
    static final List<String> CALLS = Arrays.asList("call user.login", "ok", "kind", "code", "msg", "call user.detail",
            "kind", "string", "code", "msg", "answerSign", "reason", "kind", "code", "msg", "call user.logout",
            "builder", "platform", "uniqueId", "appV", "encoding", "verifyAnswers", "build");

    static String signIn(Client api, String mobile, String password) {
        Map<String, Object> params = new LinkedHashMap<String, Object>();
        params.put("mobile", mobile);
        params.put("login_type", 2);
        params.put("code", password);
        Result login = api.call("user.login", params);
        if (!login.ok) return "login refused: " + login.kind + " " + login.code + " " + login.msg;
        Result me = api.call("user.detail");
        String out;
        switch (me.kind) {
            case OK: out = "hello " + me.string("mobile"); break;
            case REFUSED: out = "refused " + me.code + ": " + me.msg; break;
            case TAMPERED: out = "not from the gateway: " + me.answerSign.reason; break;
            default: out = me.kind + " " + me.code + ": " + me.msg;
        }
        api.call("user.logout");
        return out;
    }

    static String main(Map<String, String> env) {
        Client api = Client.builder(env.get("YAFGATE_URL"), env.get("YAFGATE_SIGNED_APPID"), env.get("YAFGATE_SIGNED_SECRET"))
                .platform(2).uniqueId("device-1").appV("1.0.0")
                .encoding(Encoding.JSON)
                .verifyAnswers(true)
                .build();
        return signIn(api, env.get("YAFGATE_MOBILE"), env.get("YAFGATE_PASSWORD"));
    }

    /** The example in docs/clients.md makes the calls of CALLS, and says what it prints. */
    static void holdsToTheExample() throws Exception {
        String doc = T.read("docs/clients.md");
        Matcher m = Pattern.compile("<!-- snippet:kotlin -->\n```kotlin\n(.*?)```\n", Pattern.DOTALL).matcher(doc);
        if (!T.check("docs/clients.md has the marked Kotlin example", m.find())) return;
        String kt = m.group(1);
        Set<String> kit = new HashSet<String>();
        for (Class<?> c : new Class<?>[] {Client.class, Client.Builder.class, Result.class, CallOptions.class, AnswerSign.class}) {
            for (Method x : c.getMethods()) kit.add(x.getName());
            for (java.lang.reflect.Field f : c.getFields()) kit.add(f.getName());
        }
        kit.removeAll(Arrays.asList("equals", "hashCode", "toString", "getClass", "wait", "notify", "notifyAll"));
        // Every `.name` of the kit, in the order written, comments and imports left out.
        String code = kt.replaceAll("//[^\n]*", "").replaceAll("(?m)^import .*$", "");
        List<String> made = new ArrayList<String>();
        Matcher t = Pattern.compile("\\.\\s*([a-zA-Z]+)(?:\\(\"([a-z.]+)\")?").matcher(code);
        while (t.find()) {
            if (!kit.contains(t.group(1))) continue;
            made.add(t.group(1).equals("call") ? "call " + t.group(2) : t.group(1));
        }
        eq("the Kotlin example makes KotlinMirror's calls, in its order", CALLS.toString(), made.toString());
        Matcher kinds = Pattern.compile("Kind\\.([A-Z]+)").matcher(kt);
        while (kinds.find()) check("the Kotlin example's Kind." + kinds.group(1) + " exists", kindExists(kinds.group(1)));
        check("the Kotlin example states its output", doc.contains("\nOutput: `hello 13912345678`"));
    }

    private static boolean kindExists(String name) {
        try {
            Kind.valueOf(name);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
