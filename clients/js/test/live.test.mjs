// clients/js/yafgate.mjs against a live gateway. tests/api/clients.rs
// starts one and runs this file with its URL and appids in the
// environment; without YAFGATE_URL these tests are skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { Client } from '../yafgate.mjs';

const env = process.env;
const live = env.YAFGATE_URL ? false : 'YAFGATE_URL is not set (tests/api/clients.rs sets it)';

/** A client of the appid that signs its answers (type h5), verifying them. */
function signedClient(options = {}) {
  return new Client({
    url: env.YAFGATE_URL,
    appid: env.YAFGATE_SIGNED_APPID,
    secret: env.YAFGATE_SIGNED_SECRET,
    platform: 3,
    uniqueId: 'js-live-test',
    appV: '1.0.0',
    verifyAnswers: true,
    ...options,
  });
}

test('system.ping answers in every body encoding, with a verified signature', { skip: live }, async () => {
  for (const encoding of ['form', 'json', 'multipart']) {
    const r = await signedClient({ encoding }).call('system.ping');
    assert.equal(r.kind, 'ok', `${encoding}: ${r.text}`);
    assert.ok(Math.abs(r.data.server_time - Date.now() / 1000) < 60);
    assert.equal(r.answerSign.verdict, 'verified');
    assert.equal(r.answerSign.slot, 'current');
    assert.match(r.requestId, /^[0-9a-f]{16}$/);
  }
});

/** A whole 1×1 PNG (uploads are decoded, not only sniffed). */
const PNG_1X1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/iZk9HQAAAABJRU5ErkJggg==';

test('a login token is kept for session methods (an upload too) and dropped on logout', { skip: live }, async () => {
  const client = signedClient();
  const before = await client.call('user.detail');
  assert.deepEqual([before.kind, before.code], ['refused', 602]);
  const login = await client.call('user.login', { mobile: env.YAFGATE_MOBILE, login_type: 2, code: env.YAFGATE_PASSWORD });
  assert.equal(login.kind, 'ok', login.text);
  assert.equal(client.token, login.data.token);
  const detail = await client.call('user.detail', { nickname_hint: '中文 + / 😀' });
  assert.equal(detail.kind, 'ok', detail.text);
  assert.equal(detail.data.mobile, env.YAFGATE_MOBILE);
  assert.equal(detail.answerSign.verdict, 'verified');
  const png = Uint8Array.from(atob(PNG_1X1), (c) => c.charCodeAt(0));
  const up = await client.call('system.upload', {}, { files: { image: new Blob([png], { type: 'image/png' }) } });
  assert.equal(up.kind, 'ok', up.text);
  assert.match(up.data.relative_image_url, /^\/images\/.+\.png$/);
  const out = await client.call('user.logout');
  assert.equal(out.kind, 'ok', out.text);
  assert.equal(client.token, '');
});

test('a wrong secret is a 403 with the diagnostics of the bytes sent', { skip: live }, async () => {
  const client = signedClient({ secret: 'not-the-secret-0000000000000000' });
  const r = await client.call('system.ping', { note: 'a/b' });
  assert.deepEqual([r.ok, r.kind, r.code, r.msg], [false, 'refused', 403, '签名错误']);
  assert.equal(r.debug.data_length, r.request.length);
  assert.equal(r.debug.data_md5, r.request.md5);
  assert.equal(r.debug.appid, env.YAFGATE_SIGNED_APPID);
  assert.deepEqual(r.debug.hints, []);
  assert.equal(r.answerSign.verdict, 'unverifiable');
});

test('a body over the limit is a typed transport refusal', { skip: live }, async () => {
  const r = await signedClient().call('system.ping', { pad: 'x'.repeat(2 << 20) });
  assert.deepEqual([r.ok, r.kind, r.code], [false, 'http', 413]);
});

/** A proxy to the gateway that rewrites each answer with `change`. */
async function proxy(change) {
  const target = new URL(env.YAFGATE_URL);
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const upstream = await fetch(target, { method: 'POST', headers: { 'content-type': req.headers['content-type'] }, body: Buffer.concat(chunks) });
      const { body, headers } = change(Buffer.from(await upstream.arrayBuffer()), Object.fromEntries(upstream.headers));
      delete headers['content-length'];
      delete headers.connection;
      res.writeHead(upstream.status, headers);
      res.end(body);
    });
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => server.close() };
}

test('an answer changed or stripped on the way is reported as tampered', { skip: live }, async () => {
  const changes = {
    'one byte changed': (body, headers) => ({ body: Buffer.from(body.toString().replace('"code":200', '"code":201')), headers }),
    'signature removed': (body, headers) => {
      delete headers['x-yafgate-sign'];
      return { body, headers };
    },
    'injected answer': (_body, headers) => ({ body: Buffer.from('{"code":200,"msg":"success","data":{"server_time":0}}'), headers }),
  };
  for (const [what, change] of Object.entries(changes)) {
    const p = await proxy(change);
    try {
      const r = await signedClient({ url: p.url }).call('system.ping');
      assert.equal(r.kind, 'tampered', `${what}: ${JSON.stringify(r.answerSign)}`);
      assert.equal(r.ok, false);
    } finally {
      p.close();
    }
  }
  // The same proxy passing answers through unchanged is not tampering.
  const p = await proxy((body, headers) => ({ body, headers }));
  try {
    const r = await signedClient({ url: p.url }).call('system.ping');
    assert.equal(r.kind, 'ok', r.text);
  } finally {
    p.close();
  }
});

test('an appid without signed answers is read unchecked', { skip: live }, async () => {
  const client = new Client({ url: env.YAFGATE_URL, appid: env.YAFGATE_PLAIN_APPID, secret: env.YAFGATE_PLAIN_SECRET, platform: 1, uniqueId: 'js-live-test' });
  const r = await client.call('system.ping');
  assert.equal(r.kind, 'ok', r.text);
  assert.deepEqual([r.answerSign.verdict, r.answerSign.slot], ['unchecked', null]);
});
