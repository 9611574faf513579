package com.yafgate.client;

import java.io.IOException;
import java.util.Map;

/**
 * How a request reaches the gateway: {@link HttpTransport} by default;
 * another one (OkHttp, a test double) may be given to the builder. It
 * must send the body bytes unchanged.
 */
public interface Transport {
    /** POST body to url; an IOException means no answer (kind network). */
    Response post(String url, String contentType, byte[] body) throws IOException;

    /** An HTTP answer: status, headers (names in lower case), body bytes. */
    final class Response {
        public final int status;
        public final Map<String, String> headers;
        public final byte[] body;

        public Response(int status, Map<String, String> headers, byte[] body) {
            this.status = status;
            this.headers = headers;
            this.body = body;
        }

        /** A header's value by its name in any case, or null. */
        public String header(String name) {
            return headers.get(name.toLowerCase(java.util.Locale.ROOT));
        }
    }
}
