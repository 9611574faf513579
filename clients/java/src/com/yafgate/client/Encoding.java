package com.yafgate.client;

/** How data and sign travel (docs/protocol.md §1.2). */
public enum Encoding {
    /** application/x-www-form-urlencoded, each value percent-encoded. */
    FORM("form"),
    /** application/json: {"data": "<the text>", "sign": "…"}. */
    JSON("json"),
    /** multipart/form-data: data and sign as fields, files as file parts. */
    MULTIPART("multipart");

    private final String id;

    Encoding(String id) {
        this.id = id;
    }

    /** The JavaScript kit's name of it: form, json, multipart. */
    @Override
    public String toString() {
        return id;
    }
}
