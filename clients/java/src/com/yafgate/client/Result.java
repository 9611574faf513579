package com.yafgate.client;

import java.util.Map;

/**
 * The outcome of a call. A call never throws for a refusal: every outcome
 * is a Result with a {@link Kind} and a code, as in the JavaScript kit
 * (docs/clients.md §5): ok, refused (an envelope code other than 200),
 * http (code = HTTP status), network (code 0), malformed, tampered.
 */
public final class Result {
    public final boolean ok;
    public final Kind kind;
    /** The envelope's code, the HTTP status for kind http, 0 for network and malformed. */
    public final int code;
    public final String msg;
    /** The envelope's data object (docs/protocol.md §4), or null. */
    public final Map<String, Object> data;
    /** The diagnostics of a 403 or 504 in env dev and test (docs/protocol.md §2.1), or null. */
    public final Map<String, Object> debug;
    /** X-Request-Id of the answer, or null. */
    public final String requestId;
    /** The answer's signature check; null for kinds http and network. */
    public final AnswerSign answerSign;
    /** Milliseconds from sending to the whole answer. */
    public final double ms;
    /** What was sent. */
    public final Request request;
    /** The HTTP status; 0 for kind network. */
    public final int status;
    /** The answer body as text; null for kind network. */
    public final String text;

    Result(Kind kind, int code, String msg, Map<String, Object> data, Map<String, Object> debug, String requestId,
            AnswerSign answerSign, double ms, Request request, int status, String text) {
        this.ok = kind == Kind.OK;
        this.kind = kind;
        this.code = code;
        this.msg = msg;
        this.data = data;
        this.debug = debug;
        this.requestId = requestId;
        this.answerSign = answerSign;
        this.ms = ms;
        this.request = request;
        this.status = status;
        this.text = text;
    }

    /** A string of data, or null when absent or not a string. */
    public String string(String key) {
        Object v = data == null ? null : data.get(key);
        return v instanceof String ? (String) v : null;
    }

    /** Kind, code and msg: never the data or text, which may hold a token. */
    @Override
    public String toString() {
        return kind + " " + code + (msg == null ? "" : " " + msg);
    }
}
