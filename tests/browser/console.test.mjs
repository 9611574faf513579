// Drives the API console in Debian's headless Chromium against a live test
// gateway (docs/protocol.md §19), and checks from a page on another,
// allowed origin that HTTP-level refusals are readable (§12.5).
// Started by tests/api/browser.rs, which passes the gateway in the
// environment: YAFGATE_URL, YAFGATE_APPID, YAFGATE_SECRET,
// YAFGATE_FOREIGN_PORT (an origin the gateway allows), YAFGATE_SCREENSHOT.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this through tests/api/browser.rs`);
  return v;
};
const GATEWAY = env('YAFGATE_URL').replace(/\/$/, '');
const APPID = env('YAFGATE_APPID');
const SECRET = env('YAFGATE_SECRET');
const FOREIGN_PORT = Number(env('YAFGATE_FOREIGN_PORT'));
const SCREENSHOT = env('YAFGATE_SCREENSHOT');
const DEADLINE = 20_000;
// A 1×1 PNG, for system.upload.
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

let context;
let foreign;
let profile;

before(async () => {
  profile = mkdtempSync(join(tmpdir(), 'yafgate-chromium-'));
  // A fresh profile for each run (playwright takes it as userDataDir).
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1400, height: 1000 },
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  // A page on another origin, one the gateway's H5 appid allows.
  foreign = createServer((_, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>H5 page</title><p>an H5 page on another origin</p>');
  });
  await new Promise((ok) => foreign.listen(FOREIGN_PORT, '127.0.0.1', ok));
});

after(async () => {
  await context?.close();
  await new Promise((ok) => (foreign ? foreign.close(ok) : ok()));
  if (profile) rmSync(profile, { recursive: true, force: true });
});

/** Pick a method, fill its parameters, call, and wait for the answer. */
async function callMethod(page, method, params = {}) {
  await page.selectOption('#method', method);
  for (const [name, value] of Object.entries(params)) {
    await page.fill(`#p-${name}`, String(value));
  }
  // The click sets the status to "calling…" before the request leaves.
  await page.click('#call');
  await page.waitForFunction(
    () => /^(code |no envelope)/.test(document.getElementById('status').textContent),
    null,
    { timeout: DEADLINE },
  );
  return page.textContent('#status');
}

test('the console signs, keeps the login token, and explains a 403', async () => {
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(String(e)));
  await page.goto(`${GATEWAY}/console`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: DEADLINE });
  await page.fill('#appid', APPID);
  await page.dispatchEvent('#appid', 'change');
  await page.fill('#secret', SECRET);
  await page.dispatchEvent('#secret', 'change');

  // system.ping: a signed call and its answer.
  let status = await callMethod(page, 'system.ping');
  assert.match(status, /^code 200 · success · [\d.]+ ms · HTTP 200 · X-Request-Id \w+/);
  const answer = JSON.parse(await page.textContent('#answer'));
  assert.equal(typeof answer.data.server_time, 'number');
  const dataText = await page.textContent('#data-text');
  const data = JSON.parse(dataText);
  assert.equal(data.method, 'system.ping');
  assert.equal(data.appid, APPID);
  assert.equal(await page.textContent('#data-len'), `${Buffer.byteLength(dataText)} bytes (UTF-8)`);
  const md5 = (text) => createHash('md5').update(text, 'utf8').digest('hex');
  assert.equal((await page.textContent('#data-md5')).toLowerCase(), md5(dataText));
  assert.equal(await page.textContent('#sign'), md5(dataText + SECRET).toUpperCase());
  assert.match(await page.textContent('#request'), /^POST \/api\nContent-Type: application\/x-www-form-urlencoded\n\ndata=/);
  // The kits client's result kind and its verdict on the answer's signature
  // (ios_app_id does not sign its answers).
  assert.equal(await page.textContent('#kind'), 'ok');
  assert.match(await page.textContent('#verdict'), /^unchecked: answer not signed \(sign_responses is off/);
  assert.equal(await page.isVisible('#debug'), false);

  // user.login with the demo account: the token is kept.
  status = await callMethod(page, 'user.login', { mobile: '13800138000', login_type: 2, password: 'demo123456' });
  assert.match(status, /^code 200 · 登录成功/);
  const token = JSON.parse(await page.textContent('#answer')).data.token;
  assert.match(token, /^[0-9a-f]{32}$/);
  assert.match(await page.textContent('#token-state'), new RegExp(`token kept for ${APPID} \\(…${token.slice(-4)}\\)`));

  // user.detail with the kept token.
  status = await callMethod(page, 'user.detail');
  assert.match(status, /^code 200 /);
  assert.equal(JSON.parse(await page.textContent('#data-text')).token, token);
  const detail = JSON.parse(await page.textContent('#answer'));
  assert.ok(detail.data && Object.keys(detail.data).length > 0, JSON.stringify(detail));

  // system.upload: the file input appears, the body is multipart, the
  // image goes as the unsigned part `image` with the kept token.
  await page.selectOption('#method', 'system.upload');
  assert.equal(await page.isVisible('#file'), true);
  assert.equal(await page.inputValue('#encoding'), 'multipart');
  await page.setInputFiles('#file', { name: 'dot.png', mimeType: 'image/png', buffer: Buffer.from(PNG, 'base64') });
  status = await callMethod(page, 'system.upload');
  assert.match(status, /^code 200 /);
  assert.match(await page.textContent('#request'), /parts: data, sign, image=dot\.png \(\d+ bytes, unsigned\)/);
  await page.selectOption('#method', 'user.detail');
  assert.equal(await page.isVisible('#file'), false);
  assert.equal(await page.inputValue('#encoding'), 'form');

  // A wrong secret: a 403, explained from the catalogue's code table.
  await page.fill('#secret', 'not-the-secret');
  status = await callMethod(page, 'user.detail');
  assert.match(status, /^code 403 · 签名错误/);
  const meaning = await page.textContent('#meaning');
  assert.match(meaning, /^403: signature missing or wrong.*What to do \(fix_client\): Sign the exact `data` bytes/);
  assert.match(await page.textContent('#verdict'), /answer not signed|answer signature/);
  assert.match(await page.textContent('#kind'), /^refused/);
  // The envelope's debug: the gateway got the bytes shown, so the secret differs.
  assert.equal(await page.isVisible('#debug'), true);
  const debug = JSON.parse(await page.textContent('#debug'));
  assert.equal(debug.data_md5.toUpperCase(), (await page.textContent('#data-md5')).toUpperCase());
  assert.match(await page.textContent('#debug-compare'), /got exactly the data bytes shown/);

  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  assert.deepEqual(problems, [], 'no script errors on the page');
  await page.close();
});

test('a page on an allowed origin reads 413 and 415 refusals', async () => {
  const page = await context.newPage();
  await page.goto(`http://127.0.0.1:${FOREIGN_PORT}/`);
  const refusals = await page.evaluate(async (endpoint) => {
    const attempt = async (contentType, body) => {
      try {
        const r = await fetch(endpoint, { method: 'POST', headers: { 'content-type': contentType }, body });
        return { status: r.status, body: await r.text() };
      } catch (e) {
        return { status: 0, body: String(e) };
      }
    };
    return {
      // Preflighted JSON body over the limit (the test gateway's is 1 KiB).
      tooLarge: await attempt('application/json', JSON.stringify({ data: 'x'.repeat(4096), sign: '' })),
      // A simple request with a type the endpoint does not take.
      badType: await attempt('text/plain', 'data=x'),
    };
  }, `${GATEWAY}/api`);
  assert.deepEqual(refusals.tooLarge, { status: 413, body: '{"error":"Payload Too Large"}' });
  assert.deepEqual(refusals.badType, { status: 415, body: '{"error":"Unsupported Media Type"}' });
  await page.close();
});
