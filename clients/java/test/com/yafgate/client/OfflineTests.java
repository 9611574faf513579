package com.yafgate.client;

import static com.yafgate.client.T.check;
import static com.yafgate.client.T.eq;
import static com.yafgate.client.T.list;
import static com.yafgate.client.T.map;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The kit without a gateway: the vectors of clients/vectors.json, the JSON
 * writer and reader, and, against a local scripted server, the bytes of
 * each body encoding, tokens and the kinds of results.
 */
final class OfflineTests {
    private static final String SECRET = "s3cret-s3cret-s3cret";

    private OfflineTests() {}

    static void run() throws Exception {
        final Map<String, Object> v = T.vectors();
        T.group("vectors", new T.Body() {
            @Override
            public void run() {
                vectors(v);
            }
        });
        T.group("json", new T.Body() {
            @Override
            public void run() {
                json();
            }
        });
        T.group("bodies", new T.Body() {
            @Override
            public void run() throws Exception {
                bodies(v);
            }
        });
        T.group("tokens", new T.Body() {
            @Override
            public void run() throws Exception {
                tokens();
            }
        });
        T.group("kinds", new T.Body() {
            @Override
            public void run() throws Exception {
                kinds(v);
            }
        });
    }

    static void vectors(Map<String, Object> v) {
        List<Object> md5 = list(v.get("md5"));
        check("md5: at least RFC 1321's seven and a UTF-8 text", md5.size() >= 8, md5.size());
        for (Object o : md5) {
            Map<String, Object> c = map(o);
            eq("md5 of " + Json.write(c.get("input")), c.get("md5"), Yafgate.md5Hex((String) c.get("input")));
        }
        Map<String, Object> golden = map(v.get("golden"));
        String data = (String) golden.get("data");
        eq("golden sign", golden.get("sign"), Yafgate.sign(data, (String) golden.get("secret")));
        eq("golden sign is the one docs/clients.md states", "01E62683A5D2B7CD901F5F98C08F10EF", golden.get("sign"));
        eq("golden data: parsed and written again, the same bytes", data, Json.write(Json.parse(data)));

        Map<String, Object> office = map(v.get("back_office"));
        for (Object o : list(office.get("cases"))) {
            Map<String, Object> c = map(o);
            String written = Json.write(c.get("params"));
            eq("back office " + c.get("name") + ": data bytes", c.get("data"), written);
            eq("back office " + c.get("name") + ": sign", c.get("sign"), Yafgate.sign(written, (String) office.get("secret")));
        }

        List<Object> cases = list(map(v.get("serialisation")).get("cases"));
        check("serialisation: the cases are there", cases.size() >= 10, cases.size());
        for (Object o : cases) {
            Map<String, Object> c = map(o);
            eq("serialisation: " + c.get("name"), c.get("json"), Json.write(c.get("value")));
            eq("serialisation: " + c.get("name") + " (read back)", c.get("json"), Json.write(Json.parse((String) c.get("json"))));
        }
        for (Object o : list(map(v.get("percent_encoding")).get("cases"))) {
            Map<String, Object> c = map(o);
            eq("percent-encoding of " + Json.write(c.get("text")), c.get("encoded"), Yafgate.percentEncode((String) c.get("text")));
        }
        Map<String, Object> answers = map(v.get("answers"));
        for (Object o : list(answers.get("cases"))) {
            Map<String, Object> c = map(o);
            eq("answer " + c.get("name"), c.get("verifies"),
                    Yafgate.verifyAnswer(Yafgate.utf8((String) c.get("body")), (String) c.get("sign"), (String) answers.get("secret")));
        }
    }

    static void json() {
        eq("a lone surrogate is escaped", "\"\\ud800x\\udc00\"", Json.write("\ud800x\udc00"));
        eq("a surrogate pair is written as is", "\"\ud83d\ude00\"", Json.write("\ud83d\ude00"));
        eq("Java numbers as JSON.stringify writes them", "[1,2,3,1.1,1.5,0,1e+21,-2.5e-7,123,18446744073709551616]",
                Json.write(Arrays.<Object>asList(1, 2L, (short) 3, 1.1f, new BigDecimal("1.50"), -0.0, 1e21, -2.5e-7,
                        new BigDecimal("1.23E+2"), BigInteger.ONE.shiftLeft(64))));
        eq("arrays, Characters, booleans, null", "[[1,2],\"c\",true,false,null]",
                Json.write(new Object[] {new int[] {1, 2}, 'c', true, false, null}));
        Map<String, Object> ordered = new LinkedHashMap<String, Object>();
        ordered.put("z", 1);
        ordered.put("a", Collections.singletonMap("k", Collections.emptyList()));
        eq("keys in the map's order, empty containers", "{\"z\":1,\"a\":{\"k\":[]}}", Json.write(ordered));
        for (Object bad : new Object[] {Double.NaN, Float.POSITIVE_INFINITY, new Object(), Collections.singletonMap(null, 1)}) {
            check("refused, not written as something else: " + bad, refuses(bad));
        }
        List<Object> cycle = new ArrayList<Object>();
        cycle.add(cycle);
        check("a cycle is refused", refuses(cycle));

        eq("escapes read", "é😀/\"\\\b\f\n\r\t", Json.parse("\"\\u00e9\\ud83d\\ude00\\/\\\"\\\\\\b\\f\\n\\r\\t\""));
        eq("numbers read as Long, BigInteger, Double", Arrays.<Object>asList(-1L, new BigInteger("12345678901234567890"), 1.5, 1e-7),
                Json.parse(" [ -1 , 12345678901234567890 , 1.5 , 1E-7 ] "));
        eq("duplicate keys: the last value, as JSON.parse", "{\"a\":2,\"b\":1}", Json.write(Json.parse("{\"a\":1,\"b\":1,\"a\":2}")));
        for (String bad : new String[] {"", "{", "[1,]", "{\"a\":1}x", "01", "1.", "-", "nul", "[1 2]", "\"\u0001\"", "\"\\x\"",
            "{a:1}", "\"\\u12\"", "'a'"}) {
            check("not JSON: " + Json.write(bad), !parses(bad));
        }
        StringBuilder deep = new StringBuilder();
        for (int i = 0; i < 10000; i++) deep.append('[');
        check("a deep text is refused, not a stack overflow", !parses(deep.toString()));
    }

    private static boolean refuses(Object value) {
        try {
            Json.write(value);
            return false;
        } catch (IllegalArgumentException e) {
            return true;
        }
    }

    private static boolean parses(String text) {
        try {
            Json.parse(text);
            return true;
        } catch (Json.ParseException e) {
            return false;
        }
    }

    static Client.Builder client(String url) {
        return Client.builder(url, "h5_app_id", SECRET).uniqueId("dev-1");
    }

    static void bodies(Map<String, Object> v) throws Exception {
        Map<String, Object> tricky = map(map(v.get("body_params")).get("params"));
        Servers.Server s = Servers.fixed(Servers.Answer.json("{\"code\":200,\"msg\":\"success\",\"data\":{}}"));
        try {
            for (Encoding enc : Encoding.values()) {
                Client c = client(s.url()).encoding(enc).build();
                Result r = c.call("user.edit", tricky);
                eq(enc + ": ok", Kind.OK, r.kind);
                Servers.Carried got = Servers.carried(s.last());
                eq(enc + ": the data carried is the data signed", r.request.data, got.fields.get("data"));
                eq(enc + ": the sign carried is the sign of those bytes", Yafgate.sign(got.fields.get("data"), SECRET), got.fields.get("sign"));
                eq(enc + ": length is the UTF-8 byte count", Yafgate.utf8(r.request.data).length, r.request.length);
                eq(enc + ": md5 is of the data alone", Yafgate.md5Hex(r.request.data).toUpperCase(java.util.Locale.ROOT), r.request.md5);
                Map<String, Object> parsed = map(Json.parse(got.fields.get("data")));
                for (Map.Entry<String, Object> e : tricky.entrySet()) {
                    eq(enc + ": parameter " + e.getKey(), Json.write(e.getValue()), Json.write(parsed.get(e.getKey())));
                }
                eq(enc + ": method", "user.edit", parsed.get("method"));
                eq(enc + ": platform", 3L, parsed.get("platform"));
                eq(enc + ": unique_id", "dev-1", parsed.get("unique_id"));
                check(enc + ": timestamp of 10 digits", String.valueOf(parsed.get("timestamp")).matches("\\d{10}"), parsed.get("timestamp"));
                String type = s.last().contentType;
                check(enc + ": content type " + type, type.startsWith(enc == Encoding.FORM ? "application/x-www-form-urlencoded"
                        : enc == Encoding.JSON ? "application/json" : "multipart/form-data; boundary="));
                if (enc == Encoding.FORM) {
                    String body = new String(s.last().body, Yafgate.UTF_8);
                    eq("form: the body, byte for byte", "data=" + Yafgate.percentEncode(r.request.data) + "&sign=" + r.request.sign, body);
                    check("form: no raw + (a + would arrive as a space)", !body.contains("+"));
                }
            }

            Client fixedTime = Client.builder(s.url(), "ios_app_id", "k").platform(1).uniqueId("u").appV("2.1.0").channel("c")
                    .deviceToken("d").clock(new Client.Clock() {
                        @Override
                        public long currentTimeMillis() {
                            return 1493898621999L;
                        }
                    }).build();
            Map<String, Object> params = new LinkedHashMap<String, Object>();
            params.put("note", "x");
            params.put("v", "2.0.0");
            eq("the fixed parameters, in order; a parameter of the same name takes its place",
                    "{\"method\":\"system.ping\",\"v\":\"2.0.0\",\"appid\":\"ios_app_id\",\"timestamp\":\"1493898621\",\"unique_id\":\"u\","
                            + "\"app_v\":\"2.1.0\",\"platform\":1,\"channel\":\"c\",\"device_token\":\"d\",\"note\":\"x\"}",
                    fixedTime.prepare("system.ping", params).data);
            check("CallOptions.v is sent as v", fixedTime.prepare("system.ping", null, new CallOptions().v("3.0.0")).data.contains("\"v\":\"3.0.0\""));

            byte[] png = {(byte) 0x89, 0x50, 0x4e, 0x47};
            Result up = client(s.url()).build().call("system.upload", null, new CallOptions().file("image", "a \"b\".png", "image/png", png));
            Servers.Carried got = Servers.carried(s.last());
            eq("files: a multipart body", Encoding.MULTIPART, up.request.encoding);
            eq("files: data and sign signed as ever", Yafgate.sign(got.fields.get("data"), SECRET), got.fields.get("sign"));
            check("files: the image part, unsigned, byte for byte", Arrays.equals(png, got.files.get("image")));
            String head = got.fileHeads.get("image");
            check("files: its file name (quotes escaped) and type", head.contains("filename=\"a %22b%22.png\"")
                    && head.contains("Content-Type: image/png"), head);
        } finally {
            s.close();
        }
    }

    static void tokens() throws Exception {
        final String[] answer = {"{\"code\":200,\"msg\":\"登录成功\",\"data\":{\"token\":\"tok-1\"}}"};
        Servers.Server s = new Servers.Server(new Servers.Handler() {
            @Override
            public Servers.Answer answer(Servers.Seen request) {
                return Servers.Answer.json(answer[0]);
            }
        });
        try {
            Client c = client(s.url()).build();
            check("no token before a login", c.prepare("user.detail", null).data.indexOf("\"token\"") < 0);
            c.call("user.login", Collections.singletonMap("mobile", "13800000000"));
            eq("the login's token is kept", "tok-1", c.getToken());
            for (int code : new int[] {601, 602, 603, 606}) {
                c.setToken("tok-1");
                answer[0] = "{\"code\":" + code + ",\"msg\":\"x\"}";
                Result r = c.call("user.detail");
                Map<String, Object> sent = map(Json.parse(Servers.carried(s.last()).fields.get("data")));
                eq(code + ": the token was sent", "tok-1", sent.get("token"));
                check(code + ": a refused result", !r.ok && r.kind == Kind.REFUSED && r.code == code, r);
                eq(code + ": the token is dropped", "", c.getToken());
            }
            c.setToken("tok-2");
            answer[0] = "{\"code\":503,\"msg\":\"参数 x 格式不正确\"}";
            c.call("user.edit");
            eq("another refusal keeps the token", "tok-2", c.getToken());
            answer[0] = "{\"code\":200,\"msg\":\"success\",\"data\":{\"token\":7}}";
            c.call("user.detail");
            eq("a token that is not a string is not taken", "tok-2", c.getToken());
            answer[0] = "{\"code\":200,\"msg\":\"退出成功\"}";
            c.call("user.logout");
            eq("a logout drops the token", "", c.getToken());
        } finally {
            s.close();
        }
    }

    static void kinds(Map<String, Object> v) throws Exception {
        Map<String, String> plain = Collections.singletonMap("Content-Type", "application/json");
        Servers.Server s = Servers.fixed(new Servers.Answer(413, plain, Yafgate.utf8("{\"error\":\"Payload Too Large\"}")));
        Result r = client(s.url()).build().call("system.ping");
        check("a 413 is kind http with the status as code", !r.ok && r.kind == Kind.HTTP && r.code == 413 && r.status == 413, r);
        s.close();
        r = client(s.url()).timeoutMillis(2000).build().call("system.ping");
        check("no gateway is kind network, code 0", !r.ok && r.kind == Kind.NETWORK && r.code == 0 && r.status == 0, r);

        for (String body : new String[] {"<html>portal</html>", "{\"msg\":\"no code\"}", "{\"code\":\"200\"}", "[200]",
            "{\"code\":200,\"data\":[1]}"}) {
            s = Servers.fixed(Servers.Answer.json(body));
            r = client(s.url()).build().call("system.ping");
            check("not an envelope is malformed: " + body, !r.ok && r.kind == Kind.MALFORMED && r.code == 0, r);
            s.close();
        }

        Map<String, Object> answers = map(v.get("answers"));
        String secret = (String) answers.get("secret");
        for (Object o : list(answers.get("cases"))) {
            Map<String, Object> c = map(o);
            List<String> headers = new ArrayList<String>();
            if (c.get("sign") != null) headers.addAll(Arrays.asList("X-Yafgate-Sign", (String) c.get("sign")));
            if (c.get("slot") != null) headers.addAll(Arrays.asList("X-Yafgate-Sign-Slot", (String) c.get("slot")));
            s = Servers.fixed(Servers.Answer.json((String) c.get("body"), headers.toArray(new String[0])));
            boolean verifies = (Boolean) c.get("verifies");
            r = Client.builder(s.url(), "a", secret).verifyAnswers(true).build().call("system.ping");
            eq("answer " + c.get("name") + ": kind", verifies ? Kind.OK : Kind.TAMPERED, r.kind);
            eq("answer " + c.get("name") + ": verdict", verifies ? Verdict.VERIFIED : Verdict.TAMPERED, r.answerSign.verdict);
            eq("answer " + c.get("name") + ": slot", c.get("slot"), r.answerSign.slot);
            r = Client.builder(s.url(), "a", secret).build().call("system.ping");
            check("answer " + c.get("name") + ": unchecked without verifyAnswers", r.kind == Kind.OK
                    && r.answerSign.verdict == Verdict.UNCHECKED, r.answerSign);
            s.close();
        }
        String refusal = "{\"code\":403,\"msg\":\"签名错误\",\"debug\":{\"data_length\":3}}";
        s = Servers.fixed(Servers.Answer.json(refusal, "X-Yafgate-Sign", Yafgate.sign(refusal, "the-appid-secret")));
        r = Client.builder(s.url(), "a", "a-wrong-secret").verifyAnswers(true).build().call("system.ping");
        check("a 403 签名错误 that does not verify is refused and unverifiable", r.kind == Kind.REFUSED && r.code == 403
                && r.answerSign.verdict == Verdict.UNVERIFIABLE && Long.valueOf(3).equals(r.debug.get("data_length")), r);
        s.close();
        s = Servers.fixed(Servers.Answer.json("{\"code\":503,\"msg\":\"x\"}", "X-Yafgate-Sign", Yafgate.sign("other", secret)));
        r = Client.builder(s.url(), "a", secret).verifyAnswers(true).build().call("system.ping");
        check("any other answer that does not verify is tampered", r.kind == Kind.TAMPERED && r.code == 503, r);
        s.close();

        Client c = Client.builder("http://127.0.0.1:1/", "a", "the-secret-xyz").token("tok-secret-1").build();
        Request q = c.prepare("user.login", Collections.singletonMap("password", "pw-secret-2"));
        String shown = q + " " + c.call("user.login", Collections.singletonMap("password", "pw-secret-2"));
        check("Request and Result print no secret, token or password", !shown.contains("secret"), shown.length());
        check("the builder refuses a missing secret", builderRefuses());
    }

    private static boolean builderRefuses() {
        try {
            Client.builder("http://x/", "a", "").build();
            return false;
        } catch (IllegalArgumentException e) {
            return true;
        }
    }
}
