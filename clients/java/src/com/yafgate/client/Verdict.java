package com.yafgate.client;

/** The verdict on an answer's signature (docs/protocol.md §4.1, docs/clients.md §4). */
public enum Verdict {
    /** X-Yafgate-Sign matches the body bytes. */
    VERIFIED("verified"),
    /** Missing or not matching: the answer did not come from the gateway unchanged. */
    TAMPERED("tampered"),
    /** A 403 "签名错误" that did not verify: this client's secret is probably not the appid's. */
    UNVERIFIABLE("unverifiable"),
    /** verifyAnswers is off. */
    UNCHECKED("unchecked");

    private final String id;

    Verdict(String id) {
        this.id = id;
    }

    @Override
    public String toString() {
        return id;
    }
}
