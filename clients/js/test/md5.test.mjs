// MD5 of clients/js/yafgate.mjs: the test suite of RFC 1321 (appendix A.5)
// and node:crypto at every length around the 64-byte block edges.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { md5Hex } from '../yafgate.mjs';

test('the RFC 1321 test suite', () => {
  const suite = [
    ['', 'd41d8cd98f00b204e9800998ecf8427e'],
    ['a', '0cc175b9c0f1b6a831c399e269772661'],
    ['abc', '900150983cd24fb0d6963f7d28e17f72'],
    ['message digest', 'f96b697d7cb7938d525a2f31aaf161d0'],
    ['abcdefghijklmnopqrstuvwxyz', 'c3fcd3d76192e4007dfb496cca67e13b'],
    ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 'd174ab98d277d9f5a5611c2c9f419d9f'],
    ['1234567890'.repeat(8), '57edf4a22be3c955ac49da2e2107b67a'],
  ];
  for (const [input, digest] of suite) assert.equal(md5Hex(input), digest, JSON.stringify(input));
});

test('agrees with node:crypto at every length up to 200 bytes and on UTF-8 text', () => {
  for (let n = 0; n <= 200; n++) {
    const bytes = randomBytes(n);
    assert.equal(md5Hex(bytes), createHash('md5').update(bytes).digest('hex'), `length ${n}`);
  }
  const text = '中文 emoji 😀 / + \\u';
  assert.equal(md5Hex(text), createHash('md5').update(text, 'utf8').digest('hex'));
  const big = randomBytes(1 << 20);
  assert.equal(md5Hex(big), createHash('md5').update(big).digest('hex'));
});
