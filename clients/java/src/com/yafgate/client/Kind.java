package com.yafgate.client;

/** What came of a call; the JavaScript kit's kinds, one for one. */
public enum Kind {
    /** An envelope with code 200. */
    OK("ok"),
    /** An envelope with another code: see the code and msg (docs/protocol.md §5). */
    REFUSED("refused"),
    /** A transport refusal (docs/protocol.md §1.3): code is the HTTP status. */
    HTTP("http"),
    /** No answer at all: code 0, msg says why. */
    NETWORK("network"),
    /** An HTTP 200 answer that is not an envelope. */
    MALFORMED("malformed"),
    /** A signed answer whose signature is missing or wrong (docs/protocol.md §4.1). */
    TAMPERED("tampered");

    private final String id;

    Kind(String id) {
        this.id = id;
    }

    /** The JavaScript kit's name of the kind: ok, refused, http, … */
    @Override
    public String toString() {
        return id;
    }
}
