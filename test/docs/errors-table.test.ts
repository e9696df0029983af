// docs/errors.md must list every error code of src/common/errors.ts, with its HTTP status.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import * as errors from '../../src/common/errors.js';

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');

/** code → HTTP status, from the table rows `| \`code\` | 400 | …`. */
function documented(): Map<string, number> {
  const rows = new Map<string, number>();
  for (const m of doc.matchAll(/^\|\s*`([a-z_]+)`\s*\|\s*(\d{3})\s*\|/gm)) rows.set(m[1], Number(m[2]));
  return rows;
}

/** Every code errors.ts can produce: call each factory, plus the fixed codes the app emits. */
function catalogue(): Map<string, number> {
  const codes = new Map<string, number>();
  for (const [name, v] of Object.entries(errors)) {
    if (typeof v !== 'function' || name === 'CloudifyError') continue;
    const e = (v as (m: string, ...rest: string[]) => unknown)('probe', 'probe');
    if (e instanceof errors.CloudifyError) codes.set(e.errorCode, e.status);
  }
  // The error handler's own fallback for unexpected failures.
  codes.set('internal_server_error', 500);
  return codes;
}

test('docs/errors.md lists every code in src/common/errors.ts with the right HTTP status', () => {
  const docRows = documented();
  const codes = catalogue();
  assert.ok(codes.size >= 20, `expected the full catalogue, found ${codes.size}`);
  const missing = [...codes.keys()].filter((c) => !docRows.has(c));
  assert.deepEqual(missing, [], `codes missing from docs/errors.md: ${missing.join(', ')}`);
  for (const [code, status] of codes) assert.equal(docRows.get(code), status, `HTTP status of ${code}`);
});

test('the source text agrees: every make(status, code) in errors.ts is documented', () => {
  const src = readFileSync(new URL('../../src/common/errors.ts', import.meta.url), 'utf8');
  const docRows = documented();
  const inSource = [...src.matchAll(/make\((\d{3}), '([a-z_]+)'\)/g)].map(
    (m) => [m[2], Number(m[1])] as const,
  );
  assert.ok(inSource.length > 0);
  for (const [code, status] of inSource) {
    assert.ok(docRows.has(code), `${code} is missing from docs/errors.md`);
    assert.equal(docRows.get(code), status, `HTTP status of ${code}`);
  }
});
