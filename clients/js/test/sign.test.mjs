// Signing in clients/js/yafgate.mjs: the seed's golden vector, upstream's
// two back-office vectors (docs/protocol.md §2), the serialisation and
// form-encoding cases, all from clients/vectors.json, and the rule that the
// bytes sent are the bytes signed, in every body encoding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, sign, verifyAnswer } from '../yafgate.mjs';
import { vectors } from './vectors.mjs';

const GOLDEN = vectors.golden;

test('the golden vector of the seed', () => {
  assert.equal(sign(GOLDEN.data, GOLDEN.secret), GOLDEN.sign);
  assert.equal(GOLDEN.sign, '01E62683A5D2B7CD901F5F98C08F10EF', 'the sign docs/clients.md states');
});

test('JSON.stringify of the golden parameters gives the golden bytes', () => {
  const params = JSON.parse(GOLDEN.data);
  assert.equal(JSON.stringify(params), GOLDEN.data);
});

test('the two vectors of upstream\'s back-office document', () => {
  const { secret, cases } = vectors.back_office;
  assert.deepEqual(cases.map((c) => c.name), ['sms.verify', 'sms.send']);
  for (const c of cases) {
    assert.equal(JSON.stringify(c.params), c.data, c.name);
    assert.equal(sign(JSON.stringify(c.params), secret), c.sign, c.name);
  }
  assert.deepEqual(cases.map((c) => c.sign), ['BBE3B17A0CD4DD1A42B24BB35F1BF95A', '1939B1FC695C42025A87DB1661CF2FE3']);
});

test('JSON.stringify writes the bytes of every serialisation case', () => {
  for (const c of vectors.serialisation.cases) assert.equal(JSON.stringify(c.value), c.json, c.name);
});

test('the percent-encoding cases decode, as a form field, to their text', () => {
  for (const c of vectors.percent_encoding.cases) {
    assert.equal(new URLSearchParams(`x=${c.encoded}`).get('x'), c.text, c.encoded);
    assert.match(c.encoded, /^[A-Za-z0-9\-._~%]*$/);
  }
});

/** A fetch that records the request and answers `answer`. */
function recorder(answer = '{"code":200,"msg":"success","data":{}}', headers = {}) {
  const seen = [];
  const fetch = async (url, init) => {
    seen.push(new Request(url, init));
    return new Response(answer, { status: 200, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } });
  };
  return { seen, fetch };
}

/** The data and sign a recorded request carried. */
async function carried(req) {
  const type = req.headers.get('content-type') ?? '';
  if (type.startsWith('application/json')) return JSON.parse(await req.text());
  if (type.startsWith('multipart/form-data')) {
    const form = await req.formData();
    return { data: form.get('data'), sign: form.get('sign'), image: form.get('image') };
  }
  const form = new URLSearchParams(await req.text());
  return { data: form.get('data'), sign: form.get('sign') };
}

const tricky = vectors.body_params.params;

for (const encoding of ['form', 'json', 'multipart']) {
  test(`a ${encoding} body carries exactly the bytes it signed`, async () => {
    const { seen, fetch } = recorder();
    const client = new Client({ url: 'http://gateway.test/', appid: 'h5_app_id', secret: 's3cret-s3cret-s3cret', encoding, fetch, uniqueId: 'dev-1' });
    const r = await client.call('user.edit', tricky);
    assert.equal(r.kind, 'ok');
    const { data, sign: sent } = await carried(seen[0]);
    assert.equal(data, r.request.data);
    assert.equal(sent, sign(data, 's3cret-s3cret-s3cret'));
    assert.equal(r.request.length, new TextEncoder().encode(data).length);
    const parsed = JSON.parse(data);
    assert.deepEqual(Object.fromEntries(Object.keys(tricky).map((k) => [k, parsed[k]])), tricky);
    assert.equal(parsed.method, 'user.edit');
    assert.equal(parsed.platform, 3);
    assert.equal(parsed.unique_id, 'dev-1');
    assert.match(parsed.timestamp, /^\d{10}$/);
  });
}

test('files go in a multipart body beside data and sign, unsigned', async () => {
  const { seen, fetch } = recorder();
  const client = new Client({ url: 'http://gateway.test/', appid: 'h5_app_id', secret: 'k'.repeat(16), fetch });
  const image = new Blob([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], { type: 'image/png' });
  await client.call('system.upload', {}, { files: { image } });
  const got = await carried(seen[0]);
  assert.equal(got.sign, sign(got.data, 'k'.repeat(16)));
  assert.equal((await got.image.arrayBuffer()).byteLength, 4);
});

test('a login token is kept, sent, and dropped when the session ends', async () => {
  let answer = '{"code":200,"msg":"登录成功","data":{"token":"tok-1"}}';
  const seen = [];
  const fetch = async (url, init) => {
    seen.push(new URLSearchParams(init.body).get('data'));
    return new Response(answer, { status: 200 });
  };
  const client = new Client({ url: 'http://gateway.test/', appid: 'h5_app_id', secret: 'k'.repeat(16), fetch });
  await client.call('user.login', { mobile: '13800000000', login_type: 2, code: 'pw' });
  assert.equal(client.token, 'tok-1');
  answer = '{"code":603,"msg":"您的账号已在其他设备登录"}';
  const r = await client.call('user.detail');
  assert.equal(JSON.parse(seen[1]).token, 'tok-1');
  assert.deepEqual([r.ok, r.kind, r.code], [false, 'refused', 603]);
  assert.equal(client.token, '');
});

test('transport refusals and unreachable gateways are typed results', async () => {
  const http = new Client({ url: 'http://gateway.test/', appid: 'a', secret: 'k'.repeat(16), fetch: async () => new Response('{"error":"Payload Too Large"}', { status: 413 }) });
  const r = await http.call('system.ping');
  assert.deepEqual([r.ok, r.kind, r.code], [false, 'http', 413]);
  const down = new Client({ url: 'http://gateway.test/', appid: 'a', secret: 'k'.repeat(16), fetch: async () => { throw new TypeError('fetch failed'); } });
  const n = await down.call('system.ping');
  assert.deepEqual([n.ok, n.kind, n.code], [false, 'network', 0]);
});

test('signed answers: verified, changed, or missing their signature', async () => {
  const { secret, cases } = vectors.answers;
  assert.equal(cases.length, 4);
  for (const c of cases) {
    const headers = c.sign === null ? {} : { 'x-yafgate-sign': c.sign, ...(c.slot ? { 'x-yafgate-sign-slot': c.slot } : {}) };
    const { fetch } = recorder(c.body, headers);
    const client = new Client({ url: 'http://gateway.test/', appid: 'a', secret, fetch, verifyAnswers: true });
    const r = await client.call('system.ping');
    assert.equal(r.kind, c.verifies ? 'ok' : 'tampered', c.name);
    assert.equal(r.answerSign.verdict, c.verifies ? 'verified' : 'tampered', c.name);
    assert.equal(r.answerSign.slot, c.slot ?? null, c.name);
    assert.equal(verifyAnswer(new TextEncoder().encode(c.body), c.sign, secret), c.verifies, c.name);
  }
  const body = cases[0].body;
  assert.equal(verifyAnswer(new TextEncoder().encode(body), sign(body, secret), secret), true);
  const { fetch } = recorder(body, {});
  const off = await new Client({ url: 'http://gateway.test/', appid: 'a', secret, fetch }).call('system.ping');
  assert.deepEqual([off.kind, off.answerSign.verdict], ['ok', 'unchecked']);
});
