// The bins start fast because a command's declaration (its flags and help) is all that loads before it
// runs: actions, and what they need (the REST client, zod, YAML, the store, the server), load through a
// dynamic import() in the action (decision 30). These tests follow the static imports from each bin's
// entry and check that they reach no package but commander and only light built-in modules.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';

const SRC = resolve(import.meta.dirname, '../../src');

/** Packages and built-ins a declaration may load; `--help` reads nothing else. */
const ALLOWED = new Set(['commander', 'node:fs', 'node:os', 'node:path', 'node:url']);
/** What a bin needs besides: `ctx` has no declarations, it posts to the ctx proxy at once. */
const ALSO: Record<string, string[]> = { ctx: ['node:http'] };

/** Specifiers of the imports that run when the file loads (not `import type`, not `import()`). */
function staticImports(text: string): string[] {
  const found = [...text.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?\bfrom\s+'([^']+)'/gm)];
  const bare = [...text.matchAll(/^import\s+'([^']+)'/gm)];
  return [...found, ...bare].map((m) => m[1]!);
}

/** Every file and package the entry loads before any action runs, each with the file that imports it. */
function closure(entry: string): Map<string, string> {
  const reached = new Map<string, string>([[entry, '']]);
  const queue = [entry];
  for (let file = queue.shift(); file; file = queue.shift()) {
    for (const spec of staticImports(readFileSync(file, 'utf8'))) {
      const target = spec.startsWith('.') ? join(dirname(file), spec).replace(/\.js$/, '.ts') : spec;
      if (reached.has(target)) continue;
      reached.set(target, relative(SRC, file));
      if (spec.startsWith('.')) {
        assert.ok(existsSync(target), `${relative(SRC, file)} imports ${spec}, which is not in src/`);
        queue.push(target);
      }
    }
  }
  return reached;
}

describe('what each bin loads before a command runs', () => {
  for (const bin of ['cfy', 'cfy_manager', 'ctx']) {
    it(`${bin}: only commander and light built-ins, besides the command declarations`, () => {
      const heavy = [...closure(join(SRC, `entry/${bin}.ts`))]
        .filter(([target]) => !target.startsWith(SRC) && !ALLOWED.has(target))
        .filter(([target]) => !ALSO[bin]?.includes(target))
        .map(([target, by]) => `${target} (imported by ${by})`);
      assert.deepEqual(heavy, []);
    });
  }
});
