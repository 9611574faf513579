// The small client the API console is built on (docs/protocol.md §2, §19):
// MD5, the signature of the exact `data` bytes, the fixed parameters, and
// one call with its timing. No dependencies; browsers and Node 18+.
//
// The interface is deliberately tiny (md5Hex, sign, buildData, call) so the
// console can move onto the full client kit in clients/js/ unchanged.

const encoder = new TextEncoder();

// MD5 (RFC 1321). Constants are floor(abs(sin(i + 1)) * 2^32), written out
// so no engine's sin() is trusted.
const K = new Uint32Array([
  0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
  0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
  0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
  0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
  0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
  0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
  0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
  0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
]);
const S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];

/** The UTF-8 bytes of a string; bytes are returned as they are. */
export function utf8(input) {
  return typeof input === 'string' ? encoder.encode(input) : new Uint8Array(input);
}

/** MD5 of a string (as UTF-8) or bytes, as 16 bytes. */
export function md5(input) {
  const bytes = utf8(input);
  const n = bytes.length;
  const total = (((n + 8) >>> 6) + 1) * 64;
  const buf = new Uint8Array(total);
  buf.set(bytes);
  buf[n] = 0x80;
  const view = new DataView(buf.buffer);
  view.setUint32(total - 8, (n << 3) >>> 0, true);
  view.setUint32(total - 4, Math.floor(n / 0x20000000), true);
  let a0 = 0x67452301, b0 = 0xefcdab89, c0 = 0x98badcfe, d0 = 0x10325476;
  const m = new Uint32Array(16);
  for (let off = 0; off < total; off += 64) {
    for (let i = 0; i < 16; i++) m[i] = view.getUint32(off + i * 4, true);
    let a = a0, b = b0, c = c0, d = d0;
    for (let i = 0; i < 64; i++) {
      let f, g;
      if (i < 16) { f = (b & c) | (~b & d); g = i; }
      else if (i < 32) { f = (d & b) | (~d & c); g = (5 * i + 1) & 15; }
      else if (i < 48) { f = b ^ c ^ d; g = (3 * i + 5) & 15; }
      else { f = c ^ (b | ~d); g = (7 * i) & 15; }
      f = (f + a + K[i] + m[g]) >>> 0;
      const s = S[(i >>> 4) * 4 + (i & 3)];
      a = d; d = c; c = b;
      b = (b + ((f << s) | (f >>> (32 - s)))) >>> 0;
    }
    a0 = (a0 + a) >>> 0; b0 = (b0 + b) >>> 0; c0 = (c0 + c) >>> 0; d0 = (d0 + d) >>> 0;
  }
  const out = new Uint8Array(16);
  const ov = new DataView(out.buffer);
  [a0, b0, c0, d0].forEach((w, i) => ov.setUint32(i * 4, w, true));
  return out;
}

/** MD5 as 32 lower-case hex digits. */
export function md5Hex(input) {
  return Array.from(md5(input), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The signature: upper-case MD5 of the data bytes followed by the secret's. */
export function sign(dataText, secret) {
  const data = utf8(dataText);
  const key = utf8(secret);
  const joined = new Uint8Array(data.length + key.length);
  joined.set(data);
  joined.set(key, data.length);
  return md5Hex(joined).toUpperCase();
}

/**
 * The `data` text of a call: the fixed parameters first (docs/protocol.md
 * §3), then the token, then the method's own parameters. Serialised once;
 * these exact bytes are signed and sent.
 */
export function buildData({ method, v = '1.0.0', appid, platform = 1, device = {}, token, params = {}, now = Date.now() }) {
  const data = {
    method,
    v,
    appid,
    timestamp: String(Math.floor(now / 1000)),
    unique_id: device.unique_id ?? 'yafgate-console',
    app_v: device.app_v ?? '1.0.0',
    platform,
    channel: device.channel ?? 'console',
    device_token: device.device_token ?? '',
  };
  if (token) data.token = token;
  for (const [k, val] of Object.entries(params)) {
    if (val !== undefined) data[k] = val;
  }
  return JSON.stringify(data);
}

/** The request body in one of the encodings of docs/protocol.md §1.2. */
export function encodeBody(dataText, signature, encoding = 'form', files = {}) {
  if (encoding === 'json') {
    return { contentType: 'application/json', body: JSON.stringify({ data: dataText, sign: signature }) };
  }
  if (encoding === 'multipart') {
    const form = new FormData();
    form.append('data', dataText);
    form.append('sign', signature);
    for (const [name, file] of Object.entries(files)) if (file) form.append(name, file);
    return { contentType: null, body: form };
  }
  const body = new URLSearchParams({ data: dataText, sign: signature }).toString();
  return { contentType: 'application/x-www-form-urlencoded', body };
}

/**
 * Sign `dataText` with `secret`, post it, and read the envelope. Never
 * throws for an answer: a transport failure or a non-envelope body comes
 * back as `{ ok: false, error }` with what was learnt.
 */
export async function call({ endpoint, dataText, secret, encoding = 'form', files = {}, fetchImpl = fetch }) {
  const signature = sign(dataText, secret);
  const { contentType, body } = encodeBody(dataText, signature, encoding, files);
  const headers = contentType ? { 'content-type': contentType } : {};
  const started = performance.now();
  const result = {
    ok: false, signature, status: 0, ms: 0, requestId: null, body: '', envelope: null, responseSign: null,
  };
  try {
    const resp = await fetchImpl(endpoint, { method: 'POST', headers, body });
    const bytes = new Uint8Array(await resp.arrayBuffer());
    result.ms = performance.now() - started;
    result.status = resp.status;
    result.requestId = resp.headers.get('x-request-id');
    result.body = new TextDecoder().decode(bytes);
    result.responseSign = verifyAnswer(bytes, resp.headers, secret);
    try {
      result.envelope = JSON.parse(result.body);
    } catch {
      result.error = `HTTP ${resp.status}: the body is not JSON`;
      return result;
    }
    result.ok = resp.status === 200 && result.envelope.code === 200;
    if (resp.status !== 200) result.error = `HTTP ${resp.status}`;
  } catch (e) {
    result.ms = performance.now() - started;
    result.error = String(e && e.message ? e.message : e);
  }
  return result;
}

/**
 * The verdict on a signed answer (an appid with `sign_responses`): null when
 * the answer carries no signature, else whether MD5(body ++ secret) matches.
 */
export function verifyAnswer(bodyBytes, headers, secret) {
  const got = headers.get('x-yafgate-sign');
  if (!got) return null;
  const key = utf8(secret);
  const joined = new Uint8Array(bodyBytes.length + key.length);
  joined.set(bodyBytes);
  joined.set(key, bodyBytes.length);
  return { valid: md5Hex(joined).toUpperCase() === got.toUpperCase(), slot: headers.get('x-yafgate-sign-slot') };
}
