// MD5 of clients/js/yafgate.mjs: the test suite of RFC 1321 (appendix A.5,
// in clients/vectors.json) and node:crypto at every length around the
// 64-byte block edges.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { md5Hex } from '../yafgate.mjs';
import { vectors } from './vectors.mjs';

test('the RFC 1321 test suite and the UTF-8 vector', () => {
  assert.ok(vectors.md5.length >= 8);
  for (const { input, md5 } of vectors.md5) {
    assert.equal(md5Hex(input), md5, JSON.stringify(input));
    assert.equal(createHash('md5').update(input, 'utf8').digest('hex'), md5, `the vector itself: ${JSON.stringify(input)}`);
  }
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
