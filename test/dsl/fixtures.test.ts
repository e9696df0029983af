// Every shared fixture case must pass; a missing fixture directory is a failure, not a skip.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runFixtureDir } from './fixture-harness.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dir = resolve(repoRoot, '../shared/fixtures/dsl');

test('shared dsl fixture directory exists', () => {
  assert.ok(existsSync(dir), `missing fixture directory ${dir}`);
});

for (const { file, results } of existsSync(dir) ? runFixtureDir(dir) : []) {
  test(`fixtures ${file}`, () => {
    const bad = results.filter((r) => !r.ok);
    assert.deepEqual(
      bad.map((r) => `${r.name}: ${r.detail}`),
      [],
      `${bad.length} of ${results.length} cases failed`,
    );
  });
}
