package com.yafgate.client;

import static com.yafgate.client.T.check;
import static com.yafgate.client.T.eq;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The kit against a live gateway: tests/api/clients.rs starts one and runs
 * clients/java/run-tests.sh with its URL, appids and a registered user in
 * the environment (the names of clients/js/test/live.test.mjs).
 */
final class LiveTests {
    private final Map<String, String> env;

    LiveTests(Map<String, String> env) {
        this.env = env;
    }

    /** A client of the appid that signs its answers (type h5), verifying them. */
    Client.Builder signed() {
        return Client.builder(env.get("YAFGATE_URL"), env.get("YAFGATE_SIGNED_APPID"), env.get("YAFGATE_SIGNED_SECRET"))
                .platform(3).uniqueId("java-live-test").appV("1.0.0").verifyAnswers(true);
    }

    Map<String, Object> login() {
        Map<String, Object> p = new LinkedHashMap<String, Object>();
        p.put("mobile", env.get("YAFGATE_MOBILE"));
        p.put("login_type", 2);
        p.put("code", env.get("YAFGATE_PASSWORD"));
        return p;
    }

    void run() throws Exception {
        final Map<String, Object> v = T.vectors();
        T.group("live ping", new T.Body() {
            @Override
            public void run() {
                ping(v);
            }
        });
        T.group("live session", new T.Body() {
            @Override
            public void run() {
                session();
            }
        });
        T.group("live refusals", new T.Body() {
            @Override
            public void run() throws Exception {
                refusals();
            }
        });
        T.group("live tampering", new T.Body() {
            @Override
            public void run() throws Exception {
                tampering();
            }
        });
        T.group("live Kotlin example", new T.Body() {
            @Override
            public void run() {
                eq("live: the Kotlin example's calls, in Java, print", "hello " + env.get("YAFGATE_MOBILE"), KotlinMirror.main(env));
            }
        });
    }

    void ping(Map<String, Object> v) {
        for (Encoding enc : Encoding.values()) {
            Result r = signed().encoding(enc).build().call("system.ping");
            eq("live " + enc + ": ping", Kind.OK, r.kind);
            if (!r.ok) continue;
            long serverTime = ((Number) r.data.get("server_time")).longValue();
            check("live " + enc + ": server_time is now", Math.abs(serverTime - System.currentTimeMillis() / 1000) < 60, serverTime);
            eq("live " + enc + ": the answer's signature", Verdict.VERIFIED, r.answerSign.verdict);
            eq("live " + enc + ": the slot", "current", r.answerSign.slot);
            check("live " + enc + ": a request id", r.requestId != null && r.requestId.matches("[0-9a-f]{16}"), r.requestId);
        }
        // The gateway verifies the bytes the kit wrote for every serialisation case.
        Map<String, Object> values = new LinkedHashMap<String, Object>();
        for (Object o : T.list(T.map(v.get("serialisation")).get("cases"))) values.put("c" + values.size(), T.map(o).get("value"));
        for (Encoding enc : Encoding.values()) {
            Result r = signed().encoding(enc).build().call("system.ping", values);
            check("live " + enc + ": the tricky serialisation cases verify", r.kind == Kind.OK, r);
        }
    }

    void session() {
        Client client = signed().build();
        Result before = client.call("user.detail");
        check("live: a session method without a token is refused 602", before.kind == Kind.REFUSED && before.code == 602, before);
        Result login = client.call("user.login", login());
        check("live: login", login.kind == Kind.OK && client.getToken().length() == 32 && client.getToken().equals(login.string("token")), login);
        Result detail = client.call("user.detail", Collections.singletonMap("nickname_hint", "中文 + / 😀 \"q\"\n"));
        check("live: detail with the kept token", detail.kind == Kind.OK && env.get("YAFGATE_MOBILE").equals(detail.string("mobile")), detail);
        eq("live: detail's answer verified", Verdict.VERIFIED, detail.answerSign.verdict);
        Result up = client.call("system.upload", null, new CallOptions().file("image", "pixel.png", "image/png", PNG_1X1));
        check("live: an upload with the token, multipart", up.kind == Kind.OK && up.string("relative_image_url") != null
                && up.string("relative_image_url").matches("/images/.+\\.png"), up);
        Result out = client.call("user.logout");
        check("live: logout drops the token", out.kind == Kind.OK && client.getToken().isEmpty(), out);

        client.setToken("0123456789abcdef0123456789abcdef");
        Result unknown = client.call("user.detail");
        check("live: an unknown token is 601 and dropped", unknown.code == 601 && client.getToken().isEmpty(), unknown);

        Client first = signed().uniqueId("java-first").build();
        Client second = signed().uniqueId("java-second").build();
        check("live: two logins of one user", first.call("user.login", login()).ok && second.call("user.login", login()).ok);
        Result displaced = first.call("user.detail");
        check("live: the first token is displaced, 603, and dropped", displaced.kind == Kind.REFUSED && displaced.code == 603
                && first.getToken().isEmpty(), displaced);
        check("live: the second session goes on", second.call("user.detail").ok && !second.getToken().isEmpty());
        second.call("user.logout");
    }

    void refusals() {
        Client bad = Client.builder(env.get("YAFGATE_URL"), env.get("YAFGATE_SIGNED_APPID"), "not-the-secret-0000000000000000")
                .platform(3).uniqueId("java-live-test").verifyAnswers(true).build();
        Result r = bad.call("system.ping", Collections.singletonMap("note", "a/b"));
        check("live: a wrong secret is refused 403 签名错误", !r.ok && r.kind == Kind.REFUSED && r.code == 403 && "签名错误".equals(r.msg), r);
        if (r.debug != null) {
            eq("live: debug data_length is the bytes sent", (long) r.request.length, ((Number) r.debug.get("data_length")).longValue());
            eq("live: debug data_md5 is their MD5", r.request.md5, r.debug.get("data_md5"));
            eq("live: debug appid", env.get("YAFGATE_SIGNED_APPID"), r.debug.get("appid"));
            eq("live: no hints for compact JSON", Collections.emptyList(), r.debug.get("hints"));
        } else {
            check("live: the 403 carries debug", false);
        }
        eq("live: the refusal is unverifiable, not tampered", Verdict.UNVERIFIABLE, r.answerSign.verdict);

        StringBuilder pad = new StringBuilder();
        while (pad.length() < (2 << 20)) pad.append("xxxxxxxxxxxxxxxx");
        r = signed().build().call("system.ping", Collections.singletonMap("pad", pad.toString()));
        check("live: a body over the limit is kind http 413", !r.ok && r.kind == Kind.HTTP && r.code == 413, r);

        Client plain = Client.builder(env.get("YAFGATE_URL"), env.get("YAFGATE_PLAIN_APPID"), env.get("YAFGATE_PLAIN_SECRET"))
                .platform(1).uniqueId("java-live-test").build();
        r = plain.call("system.ping");
        check("live: an appid without signed answers is unchecked", r.kind == Kind.OK && r.answerSign.verdict == Verdict.UNCHECKED
                && r.answerSign.slot == null, r);
        Client strict = Client.builder(env.get("YAFGATE_URL"), env.get("YAFGATE_PLAIN_APPID"), env.get("YAFGATE_PLAIN_SECRET"))
                .platform(1).uniqueId("java-live-test").verifyAnswers(true).build();
        r = strict.call("system.ping");
        check("live: asking it for signed answers reports tampering", r.kind == Kind.TAMPERED, r);

        r = Client.builder("http://127.0.0.1:1/", "a", "k").timeoutMillis(2000).build().call("system.ping");
        check("live: no gateway is kind network, code 0", r.kind == Kind.NETWORK && r.code == 0, r);
    }

    void tampering() throws Exception {
        Map<String, Servers.Change> changes = new LinkedHashMap<String, Servers.Change>();
        changes.put("one byte changed", new Servers.Change() {
            @Override
            public Servers.Answer change(Servers.Answer a) {
                String body = new String(a.body, Yafgate.UTF_8).replace("\"code\":200", "\"code\":201");
                return new Servers.Answer(a.status, a.headers, Yafgate.utf8(body));
            }
        });
        changes.put("signature removed", new Servers.Change() {
            @Override
            public Servers.Answer change(Servers.Answer a) {
                a.headers.remove("x-yafgate-sign");
                return a;
            }
        });
        changes.put("injected answer", new Servers.Change() {
            @Override
            public Servers.Answer change(Servers.Answer a) {
                return new Servers.Answer(200, a.headers, Yafgate.utf8("{\"code\":200,\"msg\":\"success\",\"data\":{\"server_time\":0}}"));
            }
        });
        changes.put("nothing", new Servers.Change() {
            @Override
            public Servers.Answer change(Servers.Answer a) {
                return a;
            }
        });
        for (Map.Entry<String, Servers.Change> c : changes.entrySet()) {
            Servers.Server proxy = Servers.proxy(env.get("YAFGATE_URL"), c.getValue());
            try {
                Result r = Client.builder(proxy.url(), env.get("YAFGATE_SIGNED_APPID"), env.get("YAFGATE_SIGNED_SECRET"))
                        .platform(3).uniqueId("java-live-test").verifyAnswers(true).build().call("system.ping");
                boolean passedThrough = c.getKey().equals("nothing");
                check("live: an answer through a proxy, " + c.getKey() + ": " + (passedThrough ? "ok" : "tampered"),
                        r.kind == (passedThrough ? Kind.OK : Kind.TAMPERED) && r.ok == passedThrough, r + " " + r.answerSign);
            } finally {
                proxy.close();
            }
        }
    }

    /** A whole 1×1 PNG (uploads are decoded, not only sniffed). */
    static final byte[] PNG_1X1 = bytes(Arrays.asList(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49,
            0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89,
            0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0, 0x1f, 0x00, 0x05, 0x00, 0x01,
            0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82));

    private static byte[] bytes(List<Integer> values) {
        byte[] out = new byte[values.size()];
        for (int i = 0; i < out.length; i++) out[i] = (byte) (int) values.get(i);
        return out;
    }
}
