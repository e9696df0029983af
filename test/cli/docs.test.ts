// docs/cli.md is the generated reference of the command tree, and lists what is not implemented.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { leafCommands, renderCliDocs } from '../../src/cli/docs.js';
import { buildProgram } from '../../src/cli/main.js';
import { NOT_IMPLEMENTED } from '../../src/cli/not-implemented.js';
import { path } from '../../src/cli/prefix.js';
import { ROOT } from './helpers.js';

test('docs/cli.md matches the commander tree', () => {
  const onDisk = readFileSync(join(ROOT, 'docs/cli.md'), 'utf8');
  assert.ok(
    onDisk === renderCliDocs(buildProgram()),
    'docs/cli.md is out of date: run `node --import tsx src/cli/docs.ts > docs/cli.md`',
  );
  for (const c of leafCommands(buildProgram())) assert.ok(onDisk.includes(`### \`cfy ${path(c)}`), path(c));
});

test('nothing listed as not implemented is in the tree', () => {
  const program = buildProgram();
  const paths = new Set(leafCommands(program).map(path));
  const groups = new Set(program.commands.map((c) => c.name()));
  for (const n of NOT_IMPLEMENTED.filter((x) => !x.form)) {
    for (const piece of n.command.split(',')) {
      // "cfy a b c | d | e" → "a b c", "a b d", "a b e"; "cfy plugins …" → the group "plugins".
      const [first, ...alts] = piece
        .trim()
        .replace(/^cfy /, '')
        .split('|')
        .map((x) => x.trim());
      const words = first!.split(' ').filter((w) => /^[a-z-]+$/.test(w));
      if (words.length === 1) {
        assert.ok(!groups.has(words[0]!), `${words[0]} is implemented: take it off NOT_IMPLEMENTED`);
        continue;
      }
      const prefix = words.slice(0, -1).join(' ');
      for (const leaf of [words.at(-1)!, ...alts.map((a) => a.split(' ')[0]!)]) {
        assert.ok(
          !paths.has(`${prefix} ${leaf}`),
          `${prefix} ${leaf} is implemented: take it off NOT_IMPLEMENTED`,
        );
      }
    }
  }
});
