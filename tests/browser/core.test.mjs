// The console's small client (clients/js/console-core.mjs): MD5 against
// RFC 1321's vectors, and signatures against the protocol's golden vector
// and upstream's published back-office vectors (docs/protocol.md §2).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { buildData, md5Hex, sign, verifyAnswer } from '../../clients/js/console-core.mjs';

test('md5 matches the RFC 1321 test suite', () => {
  const suite = {
    '': 'd41d8cd98f00b204e9800998ecf8427e',
    a: '0cc175b9c0f1b6a831c399e269772661',
    abc: '900150983cd24fb0d6963f7d28e17f72',
    'message digest': 'f96b697d7cb7938d525a2f31aaf161d0',
    abcdefghijklmnopqrstuvwxyz: 'c3fcd3d76192e4007dfb496cca67e13b',
    ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789: 'd174ab98d277d9f5a5611c2c9f419d9f',
    '12345678901234567890123456789012345678901234567890123456789012345678901234567890':
      '57edf4a22be3c955ac49da2e2107b67a',
  };
  for (const [input, digest] of Object.entries(suite)) assert.equal(md5Hex(input), digest, input);
});

test('md5 agrees with node:crypto across block boundaries and UTF-8', () => {
  for (let n = 0; n < 200; n++) {
    const text = '签'.repeat(n % 7) + 'x'.repeat(n);
    assert.equal(md5Hex(text), createHash('md5').update(text, 'utf8').digest('hex'), `length ${n}`);
  }
});

test('sign reproduces the golden vector and upstream back-office vectors', () => {
  const golden = '{"method":"user.login","v":"1.0.0","appid":"ios_app_id","timestamp":"1493898621","unique_id":"68f66b5b72b864dd389748bffe112f4f","username":"18575202691","password":"123456"}';
  assert.equal(sign(golden, '7512100214f62d7de8ba01b281d6da02'), '01E62683A5D2B7CD901F5F98C08F10EF');
  const admin = '16b36c2c513de50126144bb8085260ba';
  assert.equal(
    sign('{"v":"1.0.0","appid":"admin_api_call","platform":5,"request_no":"Req-2019042311170000000002","timestamp":1555989441,"method":"sms.verify","mobile":"13812345678","key":"ADMIN_LOGIN_CODE","code":"123456"}', admin),
    'BBE3B17A0CD4DD1A42B24BB35F1BF95A',
  );
  assert.equal(
    sign('{"v":"1.0.0","appid":"admin_api_call","platform":5,"request_no":"Req-2019042311410000000001","timestamp":1555990911,"method":"sms.send","mobile":"13812345678","key":"ADMIN_LOGIN_CODE"}', admin),
    '1939B1FC695C42025A87DB1661CF2FE3',
  );
});

test('buildData puts the fixed parameters first and the method parameters last', () => {
  const text = buildData({ method: 'user.login', appid: 'ios_app_id', token: 't', params: { mobile: '1', skip: undefined }, now: 1_493_898_621_000 });
  const keys = Object.keys(JSON.parse(text));
  assert.deepEqual(keys, ['method', 'v', 'appid', 'timestamp', 'unique_id', 'app_v', 'platform', 'channel', 'device_token', 'token', 'mobile']);
  assert.equal(JSON.parse(text).timestamp, '1493898621');
});

test('a signed answer is verified against its exact bytes', () => {
  const body = new TextEncoder().encode('{"code":200,"msg":"success"}');
  const good = sign('{"code":200,"msg":"success"}', 's3cret');
  const headers = (v) => new Headers(v ? { 'x-yafgate-sign': v, 'x-yafgate-sign-slot': '0' } : {});
  assert.equal(verifyAnswer(body, headers(null), 's3cret'), null);
  assert.deepEqual(verifyAnswer(body, headers(good), 's3cret'), { valid: true, slot: '0' });
  assert.equal(verifyAnswer(body, headers(good), 'other').valid, false);
});
