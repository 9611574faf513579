// Signing in clients/js/yafgate.mjs: the seed's golden vector, upstream's
// two back-office vectors (docs/protocol.md §2), and the rule that the
// bytes sent are the bytes signed, in every body encoding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, sign, verifyAnswer } from '../yafgate.mjs';

const GOLDEN = {
  data: '{"method":"user.login","v":"1.0.0","appid":"ios_app_id","timestamp":"1493898621","unique_id":"68f66b5b72b864dd389748bffe112f4f","username":"18575202691","password":"123456"}',
  secret: '7512100214f62d7de8ba01b281d6da02',
  sign: '01E62683A5D2B7CD901F5F98C08F10EF',
};

test('the golden vector of the seed', () => {
  assert.equal(sign(GOLDEN.data, GOLDEN.secret), GOLDEN.sign);
});

test('JSON.stringify of the golden parameters gives the golden bytes', () => {
  const params = JSON.parse(GOLDEN.data);
  assert.equal(JSON.stringify(params), GOLDEN.data);
});

test('the two vectors of upstream\'s back-office document', () => {
  const secret = '16b36c2c513de50126144bb8085260ba';
  const verify = { v: '1.0.0', appid: 'admin_api_call', platform: 5, request_no: 'Req-2019042311170000000002', timestamp: 1555989441, method: 'sms.verify', mobile: '13812345678', key: 'ADMIN_LOGIN_CODE', code: '123456' };
  const send = { v: '1.0.0', appid: 'admin_api_call', platform: 5, request_no: 'Req-2019042311410000000001', timestamp: 1555990911, method: 'sms.send', mobile: '13812345678', key: 'ADMIN_LOGIN_CODE' };
  assert.equal(sign(JSON.stringify(verify), secret), 'BBE3B17A0CD4DD1A42B24BB35F1BF95A');
  assert.equal(sign(JSON.stringify(send), secret), '1939B1FC695C42025A87DB1661CF2FE3');
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

const tricky = { nickname: 'a+b c/d 中文 😀 "q" \\ &=%', n: 1.5, list: [1, 'x'] };

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
    assert.deepEqual({ nickname: parsed.nickname, n: parsed.n, list: parsed.list }, tricky);
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
  const secret = 'k'.repeat(16);
  const body = '{"code":200,"msg":"success","data":{"server_time":1}}';
  const cases = [
    [{ 'x-yafgate-sign': sign(body, secret), 'x-yafgate-sign-slot': '0' }, body, 'ok', 'verified'],
    [{ 'x-yafgate-sign': sign(body, secret).toLowerCase() }, body, 'ok', 'verified'],
    [{ 'x-yafgate-sign': sign(body, secret) }, body.replace('1}', '2}'), 'tampered', 'tampered'],
    [{}, body, 'tampered', 'tampered'],
  ];
  for (const [headers, sent, kind, verdict] of cases) {
    const { fetch } = recorder(sent, headers);
    const client = new Client({ url: 'http://gateway.test/', appid: 'a', secret, fetch, verifyAnswers: true });
    const r = await client.call('system.ping');
    assert.equal(r.kind, kind, JSON.stringify(headers));
    assert.equal(r.answerSign.verdict, verdict);
  }
  assert.equal(verifyAnswer(new TextEncoder().encode(body), sign(body, secret), secret), true);
  const { fetch } = recorder(body, {});
  const off = await new Client({ url: 'http://gateway.test/', appid: 'a', secret, fetch }).call('system.ping');
  assert.deepEqual([off.kind, off.answerSign.verdict], ['ok', 'unchecked']);
});
