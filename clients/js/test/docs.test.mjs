// The JavaScript snippet of docs/clients.md §10 runs and prints the output
// the document states for it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const doc = readFileSync(`${root}docs/clients.md`, 'utf8');

test('the snippet of docs/clients.md prints the golden sign it states', () => {
  const m = doc.match(/<!-- snippet:js -->\n```js\n([\s\S]*?)```\n\nOutput: `([0-9A-F]{32})`/);
  assert.ok(m, 'docs/clients.md has the marked JavaScript snippet and its output');
  const [, code, stated] = m;
  assert.equal(stated, '01E62683A5D2B7CD901F5F98C08F10EF');
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd: root, encoding: 'utf8' });
  assert.equal(out.trim(), stated);
});
