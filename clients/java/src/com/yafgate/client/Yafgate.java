package com.yafgate.client;

import java.nio.charset.Charset;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.Set;

/**
 * The signing recipe (docs/protocol.md §2, docs/clients.md §1) and the
 * checks around it, as static functions: the same ones the JavaScript kit
 * exports (sign, verifyAnswer, md5Hex, SESSION_ENDED).
 */
public final class Yafgate {
    static final Charset UTF_8 = Charset.forName("UTF-8");
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    /** The codes after which a session token is of no more use (docs/protocol.md §5). */
    public static final Set<Integer> SESSION_ENDED =
            Collections.unmodifiableSet(new HashSet<Integer>(Arrays.asList(601, 602, 603, 606)));

    private Yafgate() {}

    /** The UTF-8 bytes of a text. */
    public static byte[] utf8(String text) {
        return text.getBytes(UTF_8);
    }

    /** Lower-case hex MD5 of bytes. */
    public static String md5Hex(byte[] bytes) {
        return hex(md5(bytes)).toLowerCase(java.util.Locale.ROOT);
    }

    /** Lower-case hex MD5 of a text's UTF-8 bytes. */
    public static String md5Hex(String text) {
        return md5Hex(utf8(text));
    }

    /** {@code upper(hex(md5(data ++ secret)))} over the exact bytes (docs/protocol.md §2). */
    public static String sign(byte[] data, String secret) {
        byte[] key = utf8(secret);
        byte[] all = Arrays.copyOf(data, data.length + key.length);
        System.arraycopy(key, 0, all, data.length, key.length);
        return hex(md5(all));
    }

    /** The sign of a data text: the MD5 of its UTF-8 bytes and the secret's. */
    public static String sign(String data, String secret) {
        return sign(utf8(data), secret);
    }

    /**
     * Whether an answer's X-Yafgate-Sign (either case) matches its body
     * bytes (docs/protocol.md §4.1); false when the signature is null.
     */
    public static boolean verifyAnswer(byte[] body, String signature, String secret) {
        if (signature == null) return false;
        byte[] want = utf8(sign(body, secret));
        byte[] got = utf8(signature.toUpperCase(java.util.Locale.ROOT));
        return MessageDigest.isEqual(want, got);
    }

    /**
     * A form value percent-encoded: every UTF-8 byte outside
     * {@code A-Za-z0-9-._~} as %XX, so a `+` travels as %2B and is not
     * read as a space (docs/clients.md §2; clients/vectors.json
     * "percent_encoding").
     */
    public static String percentEncode(String text) {
        StringBuilder out = new StringBuilder();
        for (byte b : utf8(text)) {
            int c = b & 0xff;
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_' || c == '~') {
                out.append((char) c);
            } else {
                out.append('%').append(HEX[c >> 4]).append(HEX[c & 15]);
            }
        }
        return out.toString();
    }

    static byte[] md5(byte[] bytes) {
        try {
            return MessageDigest.getInstance("MD5").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this runtime has no MD5", e);
        }
    }

    static String hex(byte[] bytes) {
        char[] out = new char[bytes.length * 2];
        for (int i = 0; i < bytes.length; i++) {
            out[2 * i] = HEX[(bytes[i] >> 4) & 15];
            out[2 * i + 1] = HEX[bytes[i] & 15];
        }
        return new String(out);
    }
}
