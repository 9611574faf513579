package com.yafgate.client;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Local HTTP servers for the tests: a scripted gateway and a rewriting proxy. */
final class Servers {
    private Servers() {}

    /** What a server answers: status, headers, body. */
    static final class Answer {
        final int status;
        final Map<String, String> headers;
        final byte[] body;

        Answer(int status, Map<String, String> headers, byte[] body) {
            this.status = status;
            this.headers = headers;
            this.body = body;
        }

        static Answer json(String body, String... headerPairs) {
            Map<String, String> h = new LinkedHashMap<String, String>();
            h.put("Content-Type", "application/json; charset=utf-8");
            for (int i = 0; i + 1 < headerPairs.length; i += 2) h.put(headerPairs[i], headerPairs[i + 1]);
            return new Answer(200, h, Yafgate.utf8(body));
        }
    }

    /** A request as a server saw it. */
    static final class Seen {
        final String contentType;
        final byte[] body;

        Seen(String contentType, byte[] body) {
            this.contentType = contentType;
            this.body = body;
        }
    }

    interface Handler {
        Answer answer(Seen request) throws IOException;
    }

    /** A server on a free loopback port; close() stops it. */
    static final class Server implements AutoCloseable {
        final HttpServer http;
        final List<Seen> seen = new ArrayList<Seen>();
        volatile Handler handler;

        Server(Handler handler) throws IOException {
            this.handler = handler;
            http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            http.createContext("/", new HttpHandler() {
                @Override
                public void handle(HttpExchange ex) throws IOException {
                    Seen s = new Seen(ex.getRequestHeaders().getFirst("Content-Type"), readAll(ex.getRequestBody()));
                    synchronized (seen) {
                        seen.add(s);
                    }
                    Answer a = Server.this.handler.answer(s);
                    for (Map.Entry<String, String> h : a.headers.entrySet()) ex.getResponseHeaders().add(h.getKey(), h.getValue());
                    ex.sendResponseHeaders(a.status, a.body.length == 0 ? -1 : a.body.length);
                    OutputStream out = ex.getResponseBody();
                    out.write(a.body);
                    out.close();
                }
            });
            http.start();
        }

        String url() {
            return "http://127.0.0.1:" + http.getAddress().getPort() + "/";
        }

        Seen last() {
            synchronized (seen) {
                return seen.get(seen.size() - 1);
            }
        }

        @Override
        public void close() {
            http.stop(0);
        }
    }

    /** A gateway that always answers answer. */
    static Server fixed(final Answer answer) throws IOException {
        return new Server(new Handler() {
            @Override
            public Answer answer(Seen request) {
                return answer;
            }
        });
    }

    /** A proxy to upstream that hands each answer to change before passing it on. */
    static Server proxy(final String upstream, final Change change) throws IOException {
        return new Server(new Handler() {
            @Override
            public Answer answer(Seen request) throws IOException {
                Transport.Response r = new HttpTransport(10000, 10000).post(upstream, request.contentType, request.body);
                Map<String, String> headers = new LinkedHashMap<String, String>();
                for (Map.Entry<String, String> h : r.headers.entrySet()) {
                    if (!h.getKey().equals("content-length") && !h.getKey().equals("connection")
                            && !h.getKey().equals("transfer-encoding") && !h.getKey().equals("date")) {
                        headers.put(h.getKey(), h.getValue());
                    }
                }
                return change.change(new Answer(r.status, headers, r.body));
            }
        });
    }

    interface Change {
        Answer change(Answer upstream);
    }

    /** The fields and file parts a body carried, decoded as the gateway decodes them. */
    static final class Carried {
        final Map<String, String> fields = new HashMap<String, String>();
        final Map<String, byte[]> files = new HashMap<String, byte[]>();
        final Map<String, String> fileHeads = new HashMap<String, String>();
    }

    static Carried carried(Seen s) throws IOException {
        Carried c = new Carried();
        String body = new String(s.body, "ISO-8859-1");
        if (s.contentType.startsWith("application/json")) {
            Map<String, Object> m = T.map(Json.parse(new String(s.body, Yafgate.UTF_8)));
            for (Map.Entry<String, Object> e : m.entrySet()) c.fields.put(e.getKey(), (String) e.getValue());
        } else if (s.contentType.startsWith("multipart/form-data; boundary=")) {
            String boundary = "--" + s.contentType.substring("multipart/form-data; boundary=".length());
            String[] parts = body.split(java.util.regex.Pattern.quote(boundary), -1);
            for (int i = 1; i < parts.length - 1; i++) {
                String p = parts[i];
                int split = p.indexOf("\r\n\r\n");
                String head = p.substring(2, split);
                byte[] content = p.substring(split + 4, p.length() - 2).getBytes("ISO-8859-1");
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("name=\"([^\"]*)\"").matcher(head);
                if (!m.find()) throw new IOException("a part without a name: " + head);
                if (head.contains("filename=")) {
                    c.files.put(m.group(1), content);
                    c.fileHeads.put(m.group(1), head);
                } else {
                    c.fields.put(m.group(1), new String(content, Yafgate.UTF_8));
                }
            }
            if (!parts[parts.length - 1].equals("--\r\n")) throw new IOException("no closing boundary");
        } else {
            for (String pair : body.split("&")) {
                int eq = pair.indexOf('=');
                c.fields.put(pair.substring(0, eq), URLDecoder.decode(pair.substring(eq + 1), "UTF-8"));
            }
        }
        return c;
    }

    static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        for (int n; (n = in.read(buf)) > 0; ) out.write(buf, 0, n);
        in.close();
        return out.toByteArray();
    }
}
