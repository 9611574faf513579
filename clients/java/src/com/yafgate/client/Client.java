package com.yafgate.client;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A client for one appid, the Java twin of clients/js/yafgate.mjs: it fills
 * the fixed parameters (docs/protocol.md §3), serialises data once and
 * signs and sends exactly those bytes (§2), keeps the session token of a
 * login and drops it when the session ended (§5, §8), verifies signed
 * answers (§4.1) and returns every outcome as a typed {@link Result}.
 *
 * <p>A call blocks until the answer: on Android, call it off the main
 * thread. A client may be shared between threads.
 */
public final class Client {
    /** The time source of the timestamp parameter. */
    public interface Clock {
        long currentTimeMillis();
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    private final String url;
    private final String appid;
    private final String secret;
    private final int platform;
    private final String uniqueId;
    private final String appV;
    private final String channel;
    private final String deviceToken;
    private final Encoding encoding;
    private final boolean verifyAnswers;
    private final String v;
    private final Transport transport;
    private final Clock clock;
    private volatile String token;

    private Client(Builder b) {
        url = b.url;
        appid = b.appid;
        secret = b.secret;
        platform = b.platform;
        uniqueId = b.uniqueId;
        appV = b.appV;
        channel = b.channel;
        deviceToken = b.deviceToken;
        encoding = b.encoding;
        verifyAnswers = b.verifyAnswers;
        v = b.v;
        transport = b.transport != null ? b.transport : new HttpTransport(b.timeoutMillis, b.timeoutMillis);
        clock = b.clock;
        token = b.token;
    }

    /** A builder for the endpoint (e.g. http://127.0.0.1:8080/), the appid and its secret. */
    public static Builder builder(String url, String appid, String secret) {
        return new Builder(url, appid, secret);
    }

    /** The session token sent with each call; "" when there is none. */
    public String getToken() {
        return token;
    }

    /** Sets the token, e.g. one kept from an earlier run of the app; null clears it. */
    public void setToken(String token) {
        this.token = token == null ? "" : token;
    }

    /** The fixed parameters of a call, in the JavaScript kit's order (docs/protocol.md §3). */
    public Map<String, Object> fixed(String method, String version) {
        Map<String, Object> f = new LinkedHashMap<String, Object>();
        f.put("method", method);
        f.put("v", version != null ? version : v);
        f.put("appid", appid);
        f.put("timestamp", String.valueOf(clock.currentTimeMillis() / 1000));
        f.put("unique_id", uniqueId);
        f.put("app_v", appV);
        f.put("platform", platform);
        f.put("channel", channel);
        f.put("device_token", deviceToken);
        return f;
    }

    /** The request a call would make, not sent. */
    public Request prepare(String method, Map<String, ?> params) {
        return prepare(method, params, null);
    }

    /** The request a call with these options would make, not sent. */
    public Request prepare(String method, Map<String, ?> params, CallOptions options) {
        CallOptions o = options != null ? options : new CallOptions();
        Map<String, Object> fields = fixed(method, o.v);
        String t = token;
        if (!t.isEmpty()) fields.put("token", t);
        if (params != null) {
            for (Map.Entry<String, ?> e : params.entrySet()) fields.put(e.getKey(), e.getValue());
        }
        String data = Json.write(fields);
        byte[] bytes = Yafgate.utf8(data);
        String signature = Yafgate.sign(bytes, secret);
        String md5 = Yafgate.hex(Yafgate.md5(bytes));
        Encoding enc = o.files.isEmpty() ? encoding : Encoding.MULTIPART;
        byte[] body;
        String contentType;
        if (enc == Encoding.JSON) {
            Map<String, Object> envelope = new LinkedHashMap<String, Object>();
            envelope.put("data", data);
            envelope.put("sign", signature);
            body = Yafgate.utf8(Json.write(envelope));
            contentType = "application/json";
        } else if (enc == Encoding.MULTIPART) {
            String boundary = boundary(data);
            body = multipart(boundary, bytes, signature, o);
            contentType = "multipart/form-data; boundary=" + boundary;
        } else {
            body = Yafgate.utf8("data=" + Yafgate.percentEncode(data) + "&sign=" + signature);
            contentType = "application/x-www-form-urlencoded";
        }
        return new Request(method, data, bytes.length, md5, signature, enc, contentType, body);
    }

    public Result call(String method) {
        return call(method, null, null);
    }

    public Result call(String method, Map<String, ?> params) {
        return call(method, params, null);
    }

    /**
     * Calls method with params. Never throws for a refusal or a failed
     * transport; IllegalArgumentException only for params that JSON cannot
     * hold (see {@link Json#write}).
     */
    public Result call(String method, Map<String, ?> params, CallOptions options) {
        Request request = prepare(method, params, options);
        long started = System.nanoTime();
        Transport.Response resp;
        try {
            resp = transport.post(url, request.contentType, request.body);
        } catch (IOException | RuntimeException e) {
            String why = e.getMessage() != null ? e.getMessage() : e.getClass().getName();
            return new Result(Kind.NETWORK, 0, why, null, null, null, null, since(started), request, 0, null);
        }
        double ms = since(started);
        String text = new String(resp.body, Yafgate.UTF_8);
        String requestId = resp.header("x-request-id");
        if (resp.status != 200) {
            return new Result(Kind.HTTP, resp.status, text, null, null, requestId, null, ms, request, resp.status, text);
        }
        AnswerSign answerSign = checkAnswer(resp.body, resp);
        Map<String, Object> env = envelope(text);
        Object code = env == null ? null : env.get("code");
        if (answerSign.verdict == Verdict.TAMPERED && isIntegral(code) && ((Number) code).intValue() == 403
                && "签名错误".equals(env.get("msg"))) {
            // The gateway signs a refused signature with the appid's first
            // secret: with a wrong secret here, that cannot verify either.
            answerSign = new AnswerSign(Verdict.UNVERIFIABLE, answerSign.slot,
                    "a refused signature: this client's secret is probably not the appid's");
        } else if (answerSign.verdict == Verdict.TAMPERED) {
            int c = isIntegral(code) ? ((Number) code).intValue() : 0;
            return new Result(Kind.TAMPERED, c, answerSign.reason, null, null, requestId, answerSign, ms, request, 200, text);
        }
        Object data = env == null ? null : env.get("data");
        Object debug = env == null ? null : env.get("debug");
        if (!isIntegral(code) || (data != null && !(data instanceof Map)) || (debug != null && !(debug instanceof Map))) {
            return new Result(Kind.MALFORMED, 0, "the answer is not an envelope", null, null, requestId, answerSign, ms,
                    request, 200, text);
        }
        int c = ((Number) code).intValue();
        keepToken(method, c, asMap(data));
        Object msg = env.get("msg");
        return new Result(c == 200 ? Kind.OK : Kind.REFUSED, c, msg instanceof String ? (String) msg : null,
                asMap(data), asMap(debug), requestId, answerSign, ms, request, 200, text);
    }

    /**
     * The verdict on an answer's signature: verified, tampered, or
     * unchecked (verifyAnswers off); call() turns tampered into
     * unverifiable for a 403 "签名错误", which a wrong secret explains.
     */
    AnswerSign checkAnswer(byte[] body, Transport.Response resp) {
        String signature = resp.header("x-yafgate-sign");
        String slot = resp.header("x-yafgate-sign-slot");
        if (!verifyAnswers) return new AnswerSign(Verdict.UNCHECKED, slot, null);
        if (signature == null) return new AnswerSign(Verdict.TAMPERED, slot, "the answer carries no X-Yafgate-Sign");
        if (!Yafgate.verifyAnswer(body, signature, secret)) {
            return new AnswerSign(Verdict.TAMPERED, slot, "X-Yafgate-Sign does not match the answer");
        }
        return new AnswerSign(Verdict.VERIFIED, slot, null);
    }

    /** Keep a login's token; forget it on logout and when the session ended. */
    private void keepToken(String method, int code, Map<String, Object> data) {
        Object t = data == null ? null : data.get("token");
        if (code == 200 && t instanceof String) {
            token = (String) t;
        } else if ((code == 200 && method.equals("user.logout")) || Yafgate.SESSION_ENDED.contains(code)) {
            token = "";
        }
    }

    private static Map<String, Object> envelope(String text) {
        try {
            Object v = Json.parse(text);
            if (!(v instanceof Map)) return null;
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) v;
            return m;
        } catch (Json.ParseException e) {
            return null;
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Object v) {
        return v == null ? null : Collections.unmodifiableMap((Map<String, Object>) v);
    }

    private static boolean isIntegral(Object v) {
        if (v instanceof Long) return Math.abs((Long) v) < 1_000_000_000L;
        return v instanceof Double && (Double) v == Math.rint((Double) v) && Math.abs((Double) v) < 1e9;
    }

    private static double since(long startedNanos) {
        return (System.nanoTime() - startedNanos) / 1e6;
    }

    private static String boundary(String data) {
        while (true) {
            byte[] r = new byte[12];
            RANDOM.nextBytes(r);
            String b = "yafgate" + Yafgate.hex(r);
            if (!data.contains(b)) return b;
        }
    }

    private static byte[] multipart(String boundary, byte[] data, String signature, CallOptions o) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        part(out, boundary, "form-data; name=\"data\"", null, data);
        part(out, boundary, "form-data; name=\"sign\"", null, Yafgate.utf8(signature));
        for (CallOptions.FilePart f : o.files) {
            String disposition = "form-data; name=\"" + quoted(f.part) + "\"; filename=\"" + quoted(f.filename) + "\"";
            String type = f.contentType != null ? f.contentType : "application/octet-stream";
            part(out, boundary, disposition, type, f.content);
        }
        byte[] end = Yafgate.utf8("--" + boundary + "--\r\n");
        out.write(end, 0, end.length);
        return out.toByteArray();
    }

    private static void part(ByteArrayOutputStream out, String boundary, String disposition, String type, byte[] content) {
        String head = "--" + boundary + "\r\nContent-Disposition: " + disposition + "\r\n"
                + (type == null ? "" : "Content-Type: " + type + "\r\n") + "\r\n";
        byte[] h = Yafgate.utf8(head);
        out.write(h, 0, h.length);
        out.write(content, 0, content.length);
        out.write('\r');
        out.write('\n');
    }

    /** A part or file name in a quoted header value, escaped as browsers do. */
    private static String quoted(String name) {
        return name.replace("\"", "%22").replace("\r", "%0D").replace("\n", "%0A");
    }

    /** The options of a client; those of the JavaScript kit, with the same defaults. */
    public static final class Builder {
        private final String url;
        private final String appid;
        private final String secret;
        private int platform = 3;
        private String uniqueId = "";
        private String appV = "";
        private String channel = "";
        private String deviceToken = "";
        private Encoding encoding = Encoding.FORM;
        private boolean verifyAnswers;
        private String v = "1.0.0";
        private String token = "";
        private Transport transport;
        private int timeoutMillis = 10000;
        private Clock clock = new Clock() {
            @Override
            public long currentTimeMillis() {
                return System.currentTimeMillis();
            }
        };

        Builder(String url, String appid, String secret) {
            this.url = url;
            this.appid = appid;
            this.secret = secret;
        }

        /** 1 iOS, 2 Android, 3 H5 [default], 4 web, 5 a server (docs/protocol.md §3.2). */
        public Builder platform(int platform) {
            this.platform = platform;
            return this;
        }

        public Builder uniqueId(String uniqueId) {
            this.uniqueId = nonNull(uniqueId);
            return this;
        }

        public Builder appV(String appV) {
            this.appV = nonNull(appV);
            return this;
        }

        public Builder channel(String channel) {
            this.channel = nonNull(channel);
            return this;
        }

        public Builder deviceToken(String deviceToken) {
            this.deviceToken = nonNull(deviceToken);
            return this;
        }

        /** FORM [default], JSON or MULTIPART; a call with files is multipart anyway. */
        public Builder encoding(Encoding encoding) {
            this.encoding = encoding;
            return this;
        }

        /** Check X-Yafgate-Sign (for an appid with sign_responses = true). */
        public Builder verifyAnswers(boolean verifyAnswers) {
            this.verifyAnswers = verifyAnswers;
            return this;
        }

        /** The method version sent as v [1.0.0]. */
        public Builder v(String v) {
            this.v = v;
            return this;
        }

        /** A session token to start with. */
        public Builder token(String token) {
            this.token = nonNull(token);
            return this;
        }

        /** Another transport than HttpURLConnection. */
        public Builder transport(Transport transport) {
            this.transport = transport;
            return this;
        }

        /** Connect and read timeouts of the default transport [10000]. */
        public Builder timeoutMillis(int timeoutMillis) {
            this.timeoutMillis = timeoutMillis;
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        public Client build() {
            if (isEmpty(url) || isEmpty(appid) || isEmpty(secret)) {
                throw new IllegalArgumentException("url, appid and secret are required");
            }
            if (encoding == null || clock == null || isEmpty(v)) throw new IllegalArgumentException("encoding, clock and v are required");
            return new Client(this);
        }

        private static String nonNull(String s) {
            return s == null ? "" : s;
        }

        private static boolean isEmpty(String s) {
            return s == null || s.isEmpty();
        }
    }
}
