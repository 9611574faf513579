// yafgate JavaScript client: one ES module for browsers and Node 18+, no
// dependencies. It fills the fixed parameters, serialises `data` once and
// signs and sends exactly those bytes (docs/protocol.md §2, docs/clients.md),
// keeps the session token, verifies signed answers (docs/protocol.md §4.1)
// and returns every outcome as a typed result with its code.

const encoder = new TextEncoder();

/** UTF-8 bytes of a string (bytes are passed through). */
export function utf8(text) {
  return typeof text === 'string' ? encoder.encode(text) : new Uint8Array(text);
}

// MD5 of RFC 1321, on bytes. WebCrypto has no MD5, so browsers need one of
// their own; clients/js/test/md5.test.mjs checks it against the RFC's test
// suite and against node:crypto at every length around the block edges.
const S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
const K = Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) >>> 0);

/** Lower-case hex MD5 of a string (as UTF-8) or bytes. */
export function md5Hex(input) {
  const bytes = utf8(input);
  const bitLength = bytes.length * 8;
  const padded = new Uint8Array((((bytes.length + 8) >> 6) + 1) << 6);
  padded.set(bytes);
  padded[bytes.length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, bitLength >>> 0, true);
  view.setUint32(padded.length - 4, Math.floor(bitLength / 2 ** 32), true);
  let [a0, b0, c0, d0] = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];
  const m = new Uint32Array(16);
  for (let off = 0; off < padded.length; off += 64) {
    for (let i = 0; i < 16; i++) m[i] = view.getUint32(off + i * 4, true);
    let [a, b, c, d] = [a0, b0, c0, d0];
    for (let i = 0; i < 64; i++) {
      let f, g;
      if (i < 16) [f, g] = [(b & c) | (~b & d), i];
      else if (i < 32) [f, g] = [(d & b) | (~d & c), (5 * i + 1) % 16];
      else if (i < 48) [f, g] = [b ^ c ^ d, (3 * i + 5) % 16];
      else [f, g] = [c ^ (b | ~d), (7 * i) % 16];
      const sum = (a + f + K[i] + m[g]) >>> 0;
      const s = S[(i >> 4) * 4 + (i % 4)];
      [a, d, c] = [d, c, b];
      b = (b + ((sum << s) | (sum >>> (32 - s)))) >>> 0;
    }
    a0 = (a0 + a) >>> 0;
    b0 = (b0 + b) >>> 0;
    c0 = (c0 + c) >>> 0;
    d0 = (d0 + d) >>> 0;
  }
  const out = new DataView(new ArrayBuffer(16));
  [a0, b0, c0, d0].forEach((w, i) => out.setUint32(i * 4, w, true));
  return Array.from(new Uint8Array(out.buffer), (x) => x.toString(16).padStart(2, '0')).join('');
}

function concat(a, b) {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** `upper(hex(md5(data ++ secret)))` over the exact bytes (docs/protocol.md §2). */
export function sign(data, secret) {
  return md5Hex(concat(utf8(data), utf8(secret))).toUpperCase();
}

/** Whether an answer's `X-Yafgate-Sign` matches its body bytes (docs/protocol.md §4.1). */
export function verifyAnswer(bodyBytes, signature, secret) {
  return typeof signature === 'string' && signature.toUpperCase() === sign(bodyBytes, secret);
}

/** What a client should do for a code (docs/protocol.md §5). */
export const SESSION_ENDED = new Set([601, 602, 603, 606]);

/**
 * A client for one appid.
 *
 * options: url (the endpoint, e.g. http://127.0.0.1:8080/), appid, secret,
 * platform [3], uniqueId, appV, channel, deviceToken, encoding ('form' |
 * 'json' | 'multipart') ['form'], verifyAnswers [false], v ['1.0.0'],
 * fetch [globalThis.fetch], now [() => Date.now()].
 */
export class Client {
  constructor(options) {
    const o = { platform: 3, encoding: 'form', v: '1.0.0', verifyAnswers: false, ...options };
    if (!o.url || !o.appid || !o.secret) throw new TypeError('url, appid and secret are required');
    if (!['form', 'json', 'multipart'].includes(o.encoding)) throw new TypeError(`unknown encoding ${o.encoding}`);
    this.options = o;
    this.token = o.token ?? '';
  }

  /** The fixed parameters of a call (docs/protocol.md §3). */
  fixed(method, v) {
    const o = this.options;
    return {
      method,
      v: v ?? o.v,
      appid: o.appid,
      timestamp: String(Math.floor((o.now ? o.now() : Date.now()) / 1000)),
      unique_id: o.uniqueId ?? '',
      app_v: o.appV ?? '',
      platform: o.platform,
      channel: o.channel ?? '',
      device_token: o.deviceToken ?? '',
    };
  }

  /**
   * The request a call makes, not sent: the data text (serialised once),
   * its byte length and MD5, the sign, and the body. `files` (multipart
   * only) maps part names to Blobs, e.g. { image: file } for system.upload.
   */
  prepare(method, params = {}, { v, files } = {}) {
    const fields = { ...this.fixed(method, v), ...(this.token ? { token: this.token } : {}), ...params };
    const data = JSON.stringify(fields);
    const bytes = utf8(data);
    const signature = sign(bytes, this.options.secret);
    const encoding = files ? 'multipart' : this.options.encoding;
    let body;
    let contentType;
    if (encoding === 'json') {
      body = JSON.stringify({ data, sign: signature });
      contentType = 'application/json';
    } else if (encoding === 'multipart') {
      body = new FormData();
      body.append('data', data);
      body.append('sign', signature);
      for (const [name, blob] of Object.entries(files ?? {})) body.append(name, blob, blob.name ?? name);
    } else {
      body = new URLSearchParams({ data, sign: signature }).toString();
      contentType = 'application/x-www-form-urlencoded';
    }
    return { method, data, length: bytes.length, md5: md5Hex(bytes).toUpperCase(), sign: signature, encoding, body, contentType };
  }

  /**
   * Call `method` with `params`. Never throws for a refusal: the result is
   * { ok, kind, code, msg, data, debug, requestId, answerSign, ms, request,
   * status, text } where kind is 'ok', 'refused' (an envelope code other
   * than 200), 'http' (a transport refusal, code = HTTP status), 'network'
   * (no answer, code 0), 'malformed' (not an envelope) or 'tampered' (the
   * answer's signature is missing or wrong while verifyAnswers is on).
   */
  async call(method, params = {}, opts = {}) {
    const request = this.prepare(method, params, opts);
    const headers = request.contentType ? { 'Content-Type': request.contentType } : {};
    const started = performance.now();
    const doFetch = this.options.fetch ?? globalThis.fetch;
    let resp;
    let bytes;
    try {
      resp = await doFetch(this.options.url, { method: 'POST', headers, body: request.body });
      bytes = new Uint8Array(await resp.arrayBuffer());
    } catch (e) {
      return result('network', { code: 0, msg: String(e?.message ?? e), request, ms: performance.now() - started });
    }
    const ms = performance.now() - started;
    const text = new TextDecoder().decode(bytes);
    const base = { request, ms, status: resp.status, text, requestId: resp.headers.get('x-request-id') };
    if (resp.status !== 200) return result('http', { ...base, code: resp.status, msg: text });
    const answerSign = this.checkAnswer(bytes, resp.headers);
    let env;
    try {
      env = JSON.parse(text);
    } catch {
      env = null;
    }
    if (answerSign.verdict === 'tampered' && env?.code === 403 && env?.msg === '签名错误') {
      // The gateway signs a refused signature with the appid's first
      // secret: with a wrong secret here, that cannot verify either.
      answerSign.verdict = 'unverifiable';
      answerSign.reason = 'a refused signature: this client\'s secret is probably not the appid\'s';
    } else if (answerSign.verdict === 'tampered') {
      return result('tampered', { ...base, code: env?.code ?? 0, msg: answerSign.reason, answerSign });
    }
    if (!env || typeof env !== 'object' || typeof env.code !== 'number') {
      return result('malformed', { ...base, code: 0, msg: 'the answer is not an envelope', answerSign });
    }
    this.keepToken(method, env);
    const fields = { ...base, code: env.code, msg: env.msg, data: env.data, debug: env.debug, answerSign };
    return result(env.code === 200 ? 'ok' : 'refused', fields);
  }

  /**
   * The verdict on an answer's signature: 'verified', 'tampered', or
   * 'unchecked' (verifyAnswers off); call() turns 'tampered' into
   * 'unverifiable' for a 403 "签名错误", which a wrong secret explains.
   */
  checkAnswer(bytes, headers) {
    const signature = headers.get('x-yafgate-sign');
    const slot = headers.get('x-yafgate-sign-slot');
    if (!this.options.verifyAnswers) return { verdict: 'unchecked', slot };
    if (!signature) return { verdict: 'tampered', slot, reason: 'the answer carries no X-Yafgate-Sign' };
    if (!verifyAnswer(bytes, signature, this.options.secret)) {
      return { verdict: 'tampered', slot, reason: 'X-Yafgate-Sign does not match the answer' };
    }
    return { verdict: 'verified', slot };
  }

  /** Keep a login's token; forget it on logout and when the session ended. */
  keepToken(method, env) {
    if (env.code === 200 && typeof env.data?.token === 'string') this.token = env.data.token;
    else if (env.code === 200 && method === 'user.logout') this.token = '';
    else if (SESSION_ENDED.has(env.code)) this.token = '';
  }
}

function result(kind, fields) {
  return { ok: kind === 'ok', kind, data: undefined, debug: undefined, ...fields };
}
