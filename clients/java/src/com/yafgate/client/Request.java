package com.yafgate.client;

/**
 * A request as built by {@link Client#prepare}: the data text, serialised
 * once, its UTF-8 byte length and MD5 (to compare with a 403's debug,
 * docs/clients.md §3), the sign, and the body that carries exactly those
 * bytes.
 */
public final class Request {
    public final String method;
    public final String data;
    public final int length;
    /** upper(hex(md5(data))), without the secret. */
    public final String md5;
    public final String sign;
    public final Encoding encoding;
    public final String contentType;
    final byte[] body;

    Request(String method, String data, int length, String md5, String sign, Encoding encoding, String contentType, byte[] body) {
        this.method = method;
        this.data = data;
        this.length = length;
        this.md5 = md5;
        this.sign = sign;
        this.encoding = encoding;
        this.contentType = contentType;
        this.body = body;
    }

    /** A copy of the body bytes. */
    public byte[] body() {
        return body.clone();
    }

    /** The method, length and MD5: never the data, which may hold a password or token. */
    @Override
    public String toString() {
        return method + " (" + encoding + ", " + length + " bytes, md5 " + md5 + ")";
    }
}
