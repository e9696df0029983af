// `npm run dsl:fixtures -- DIR`: runs every fixture file in DIR, prints a table per file and a final
// line `N passed, M failed`. Exit code 1 when anything failed. A case passes on the matching error, or on
// the summary and the full plan / deployment plan (test/dsl/plan-compare.ts, the fixture README's rules).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { runFixtureDir } from '../test/dsl/fixture-harness.js';

const dir = resolve(process.argv[2] ?? '../shared/fixtures/dsl');
if (!existsSync(dir)) {
  console.error(`fixture directory ${dir} does not exist`);
  process.exit(2);
}
const verbose = process.argv.includes('-v');
let passed = 0;
let failed = 0;
for (const { file, results } of runFixtureDir(dir)) {
  const bad = results.filter((r) => !r.ok);
  passed += results.length - bad.length;
  failed += bad.length;
  console.log(
    `${file.padEnd(52)} ${String(results.length - bad.length).padStart(4)} passed ${String(bad.length).padStart(4)} failed`,
  );
  for (const r of verbose ? bad : []) console.log(`    ✗ ${r.name}\n      ${r.detail}`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
