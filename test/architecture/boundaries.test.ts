// The architecture is enforced by a tool: Biome's import rules (generated from scripts/architecture.mjs
// into biome.json), its cycle check and its size limits. These tests show that the generated rules are
// current, that a forbidden import, a cycle and an oversized function do fail the check, and that what
// Biome cannot see (the CLI's DSL import being lazy) holds.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
// @ts-expect-error: a plain .mjs script without types
import { biomeConfig, LAYERS, LONG_FILES } from '../../scripts/architecture.mjs';

const ROOT = resolve(import.meta.dirname, '../..');
const BIOME = join(ROOT, 'node_modules/.bin/biome');
const config = JSON.parse(readFileSync(join(ROOT, 'biome.json'), 'utf8'));

/** Lints `files` (path → text) in a scratch project that uses this repository's biome.json. */
function lint(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-arch-'));
  try {
    writeFileSync(join(dir, 'biome.json'), JSON.stringify({ ...config, $schema: undefined }));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const r = spawnSync(BIOME, ['lint', '--max-diagnostics=100', 'src'], { cwd: dir, encoding: 'utf8' });
    return `${r.stdout}${r.stderr}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The files a diagnostic of `rule` points at. */
const flagged = (out: string, rule: string) =>
  [...out.matchAll(new RegExp(`^(src/\\S+?):\\d+:\\d+ lint/[a-z]+/${rule}`, 'gm'))].map((m) => m[1]).sort();

describe('architecture rules', () => {
  it('biome.json holds the rules scripts/architecture.mjs generates (run it after changing them)', () => {
    assert.deepEqual(config, biomeConfig(config));
  });

  it('a forbidden import fails the check, an allowed one passes', () => {
    const out = lint({
      'src/manager/bad.ts':
        "import { startWorker } from '../worker/worker.js';\nexport const x = startWorker;\n",
      'src/worker/bad.ts': "import { buildApp } from '../manager/app.js';\nexport const x = buildApp;\n",
      'src/installer/deep/bad.ts': "import { Lab } from '../../lab/lab.js';\nexport const x = Lab;\n",
      'src/lab/bad.ts': "import { run } from '../installer/exec.js';\nexport const x = run;\n",
      'src/cli/bad.ts': "import type { Db } from '../store/port.js';\nexport type X = Db;\n",
      'src/dsl/bad.ts': "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n",
      'src/engine/bad.ts': "import type { Db } from '../store/port.js';\nexport type X = Db;\n",
      'src/manager/ok.ts': "import type { Db } from '../store/port.js';\nexport type X = Db;\n",
      'src/cli/commands/executions/ok.ts':
        "import { y } from '../../executions/cols.js';\nexport const x = y;\n",
      'src/entry/ok.ts':
        "import { startWorker } from '../worker/worker.js';\nexport const x = startWorker;\n",
    });
    assert.deepEqual(flagged(out, 'noRestrictedImports'), [
      'src/cli/bad.ts',
      'src/dsl/bad.ts',
      'src/engine/bad.ts',
      'src/installer/deep/bad.ts',
      'src/lab/bad.ts',
      'src/manager/bad.ts',
      'src/worker/bad.ts',
    ]);
  });

  it('an import cycle and an oversized function fail the check', () => {
    const body = Array.from({ length: 90 }, (_, i) => `  n += ${i};`).join('\n');
    const out = lint({
      'src/store/a.ts': "import { b } from './b.js';\nexport const a = () => b();\n",
      'src/store/b.ts': "import { a } from './a.js';\nexport const b = () => a();\n",
      'src/store/long.ts': `export function long(): number {\n  let n = 0;\n${body}\n  return n;\n}\n`,
    });
    assert.deepEqual(flagged(out, 'noImportCycles'), ['src/store/a.ts', 'src/store/b.ts']);
    assert.deepEqual(flagged(out, 'noExcessiveLinesPerFunction'), ['src/store/long.ts']);
  });

  it('every folder of src/ has its rule, and at most 5 files may be long, each with its reason', () => {
    const folders = readdirSync(join(ROOT, 'src')).filter((f) =>
      statSync(join(ROOT, 'src', f)).isDirectory(),
    );
    assert.deepEqual(folders.sort(), Object.keys(LAYERS).sort());
    const long = Object.entries(LONG_FILES as Record<string, string>);
    assert.ok(long.length <= 5);
    for (const [file, why] of long) assert.ok(why.length > 20, `${file} needs a reason`);
  });

  it('the CLI imports the DSL only lazily (dynamic import), so `cfy` starts without it', () => {
    const files = (readdirSync(join(ROOT, 'src/cli'), { recursive: true }) as string[]).filter((f) =>
      f.endsWith('.ts'),
    );
    for (const f of files) {
      const text = readFileSync(join(ROOT, 'src/cli', f), 'utf8');
      assert.doesNotMatch(
        text,
        /^import [^;]*from '(\.\.\/)+dsl(-fs)?\//m,
        `src/cli/${f} imports the DSL statically`,
      );
    }
  });
});
