package com.yafgate.client;

import java.lang.reflect.Array;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A minimal JSON writer and reader, so the kit needs no library (Android
 * and the JVM alike). The writer produces what JavaScript's JSON.stringify
 * produces for the same values: compact, keys in the map's own iteration
 * order, `/` and non-ASCII text as is, `"` `\` and control characters
 * escaped (clients/vectors.json "serialisation"). Whatever it writes, the
 * kit signs and sends those very bytes (docs/protocol.md §2).
 */
public final class Json {
    private static final int MAX_DEPTH = 512;

    private Json() {}

    /** Raised for text that is not JSON. */
    public static final class ParseException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        ParseException(String message, int at) {
            super(message + " at offset " + at);
        }
    }

    /**
     * The compact JSON text of a value: a Map (keys as strings), a
     * Collection or array, a CharSequence or Character, a Number, a
     * Boolean, or null. NaN, infinities and other types are refused with
     * IllegalArgumentException rather than written as something else.
     */
    public static String write(Object value) {
        StringBuilder out = new StringBuilder();
        write(out, value, 0);
        return out.toString();
    }

    private static void write(StringBuilder out, Object value, int depth) {
        if (depth > MAX_DEPTH) throw new IllegalArgumentException("nested deeper than " + MAX_DEPTH + " (a cycle?)");
        if (value == null) {
            out.append("null");
        } else if (value instanceof CharSequence || value instanceof Character) {
            string(out, value.toString());
        } else if (value instanceof Boolean) {
            out.append(((Boolean) value).booleanValue() ? "true" : "false");
        } else if (value instanceof Number) {
            out.append(number((Number) value));
        } else if (value instanceof Map) {
            out.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
                if (e.getKey() == null) throw new IllegalArgumentException("a map key is null");
                if (!first) out.append(',');
                first = false;
                string(out, String.valueOf(e.getKey()));
                out.append(':');
                write(out, e.getValue(), depth + 1);
            }
            out.append('}');
        } else if (value instanceof Iterable) {
            out.append('[');
            boolean first = true;
            for (Object item : (Iterable<?>) value) {
                if (!first) out.append(',');
                first = false;
                write(out, item, depth + 1);
            }
            out.append(']');
        } else if (value.getClass().isArray()) {
            out.append('[');
            for (int i = 0, n = Array.getLength(value); i < n; i++) {
                if (i > 0) out.append(',');
                write(out, Array.get(value, i), depth + 1);
            }
            out.append(']');
        } else {
            throw new IllegalArgumentException("cannot write a " + value.getClass().getName() + " as JSON");
        }
    }

    /** A JSON string literal, escaped as JSON.stringify escapes. */
    static void string(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': out.append("\\\""); break;
                case '\\': out.append("\\\\"); break;
                case '\b': out.append("\\b"); break;
                case '\f': out.append("\\f"); break;
                case '\n': out.append("\\n"); break;
                case '\r': out.append("\\r"); break;
                case '\t': out.append("\\t"); break;
                default:
                    if (c < 0x20) {
                        unicodeEscape(out, c);
                    } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                        out.append(c).append(s.charAt(++i));
                    } else if (Character.isSurrogate(c)) {
                        unicodeEscape(out, c); // a lone surrogate cannot be UTF-8
                    } else {
                        out.append(c);
                    }
            }
        }
        out.append('"');
    }

    private static void unicodeEscape(StringBuilder out, char c) {
        String hex = Integer.toHexString(c);
        out.append("\\u");
        for (int i = hex.length(); i < 4; i++) out.append('0');
        out.append(hex);
    }

    /** A number as JavaScript writes it: 1, 1.5, 0.000001, 1e-7, 1e+21. */
    static String number(Number n) {
        if (n instanceof Integer || n instanceof Long || n instanceof Short || n instanceof Byte
                || n instanceof BigInteger || n instanceof AtomicInteger || n instanceof AtomicLong) {
            return n.toString();
        }
        if (n instanceof BigDecimal) return decimal((BigDecimal) n);
        if (n instanceof Float) {
            float f = n.floatValue();
            if (Float.isNaN(f) || Float.isInfinite(f)) throw new IllegalArgumentException("JSON has no " + f);
            return decimal(new BigDecimal(Float.toString(f)));
        }
        double d = n.doubleValue();
        if (Double.isNaN(d) || Double.isInfinite(d)) throw new IllegalArgumentException("JSON has no " + d);
        return decimal(new BigDecimal(Double.toString(d)));
    }

    /** ECMAScript's Number::toString layout of a decimal's shortest digits. */
    private static String decimal(BigDecimal value) {
        if (value.signum() == 0) return "0";
        BigDecimal v = value.stripTrailingZeros();
        String digits = v.unscaledValue().abs().toString();
        int k = digits.length();
        int n = k - v.scale(); // the value is 0.<digits> times 10^n
        StringBuilder out = new StringBuilder(v.signum() < 0 ? "-" : "");
        if (k <= n && n <= 21) {
            out.append(digits);
            for (int i = k; i < n; i++) out.append('0');
        } else if (0 < n && n <= 21) {
            out.append(digits, 0, n).append('.').append(digits, n, k);
        } else if (-6 < n && n <= 0) {
            out.append("0.");
            for (int i = n; i < 0; i++) out.append('0');
            out.append(digits);
        } else {
            out.append(digits.charAt(0));
            if (k > 1) out.append('.').append(digits, 1, k);
            int e = n - 1;
            out.append('e').append(e >= 0 ? '+' : '-').append(Math.abs(e));
        }
        return out.toString();
    }

    /**
     * The value of a JSON text: Map (a LinkedHashMap in the text's key
     * order), List, String, Long (or BigInteger when it does not fit),
     * Double, Boolean or null.
     */
    public static Object parse(String text) {
        Reader r = new Reader(text);
        r.space();
        Object value = r.value(0);
        r.space();
        if (r.at < text.length()) throw new ParseException("text after the JSON value", r.at);
        return value;
    }

    private static final class Reader {
        private final String s;
        private int at;

        Reader(String s) {
            this.s = s;
        }

        void space() {
            while (at < s.length()) {
                char c = s.charAt(at);
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
                at++;
            }
        }

        Object value(int depth) {
            if (depth > MAX_DEPTH) throw new ParseException("nested deeper than " + MAX_DEPTH, at);
            if (at >= s.length()) throw new ParseException("unexpected end", at);
            char c = s.charAt(at);
            if (c == '{') return object(depth);
            if (c == '[') return array(depth);
            if (c == '"') return string();
            if (c == '-' || (c >= '0' && c <= '9')) return number();
            if (s.startsWith("true", at)) return literal(4, Boolean.TRUE);
            if (s.startsWith("false", at)) return literal(5, Boolean.FALSE);
            if (s.startsWith("null", at)) return literal(4, null);
            throw new ParseException("unexpected '" + c + "'", at);
        }

        private Object literal(int length, Object value) {
            at += length;
            return value;
        }

        private Map<String, Object> object(int depth) {
            Map<String, Object> map = new LinkedHashMap<String, Object>();
            at++;
            space();
            if (peek() == '}') {
                at++;
                return map;
            }
            while (true) {
                space();
                if (peek() != '"') throw new ParseException("expected a key", at);
                String key = string();
                space();
                expect(':');
                space();
                map.put(key, value(depth + 1));
                space();
                if (peek() == ',') {
                    at++;
                } else {
                    expect('}');
                    return map;
                }
            }
        }

        private List<Object> array(int depth) {
            List<Object> list = new ArrayList<Object>();
            at++;
            space();
            if (peek() == ']') {
                at++;
                return list;
            }
            while (true) {
                space();
                list.add(value(depth + 1));
                space();
                if (peek() == ',') {
                    at++;
                } else {
                    expect(']');
                    return list;
                }
            }
        }

        private String string() {
            StringBuilder out = new StringBuilder();
            at++;
            while (true) {
                if (at >= s.length()) throw new ParseException("unterminated string", at);
                char c = s.charAt(at++);
                if (c == '"') return out.toString();
                if (c < 0x20) throw new ParseException("a control character in a string", at - 1);
                if (c != '\\') {
                    out.append(c);
                    continue;
                }
                if (at >= s.length()) throw new ParseException("unterminated escape", at);
                char e = s.charAt(at++);
                switch (e) {
                    case '"': out.append('"'); break;
                    case '\\': out.append('\\'); break;
                    case '/': out.append('/'); break;
                    case 'b': out.append('\b'); break;
                    case 'f': out.append('\f'); break;
                    case 'n': out.append('\n'); break;
                    case 'r': out.append('\r'); break;
                    case 't': out.append('\t'); break;
                    case 'u':
                        if (at + 4 > s.length()) throw new ParseException("short \\u escape", at);
                        try {
                            out.append((char) Integer.parseInt(s.substring(at, at + 4), 16));
                        } catch (NumberFormatException x) {
                            throw new ParseException("bad \\u escape", at);
                        }
                        at += 4;
                        break;
                    default:
                        throw new ParseException("bad escape \\" + e, at - 1);
                }
            }
        }

        private Object number() {
            int start = at;
            if (peek() == '-') at++;
            if (peek() == '0') {
                at++;
            } else if (!digits()) {
                throw new ParseException("bad number", start);
            }
            boolean integral = true;
            if (peek() == '.') {
                at++;
                integral = false;
                if (!digits()) throw new ParseException("bad fraction", start);
            }
            if (peek() == 'e' || peek() == 'E') {
                at++;
                integral = false;
                if (peek() == '+' || peek() == '-') at++;
                if (!digits()) throw new ParseException("bad exponent", start);
            }
            String text = s.substring(start, at);
            if (!integral) return Double.valueOf(text);
            BigInteger big = new BigInteger(text);
            return big.bitLength() < 64 ? (Object) Long.valueOf(big.longValue()) : big;
        }

        private boolean digits() {
            int start = at;
            while (at < s.length() && s.charAt(at) >= '0' && s.charAt(at) <= '9') at++;
            return at > start;
        }

        private char peek() {
            return at < s.length() ? s.charAt(at) : '\0';
        }

        private void expect(char c) {
            if (peek() != c) throw new ParseException("expected '" + c + "'", at);
            at++;
        }
    }
}
