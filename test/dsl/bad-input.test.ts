// Each "Bad input" bullet of issue 3 ends in a DslError within bounded time and memory.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DslError, type ImportResolver, parseBlueprint } from '../../src/dsl/index.js';

const HEADER = 'tosca_definitions_version: cloudify_dsl_1_3\n';
const files = (map: Record<string, string>): ImportResolver => ({ read: (p) => map[p] });
const parse = (text: string, extra: Record<string, string> = {}) =>
  parseBlueprint({ mainFile: 'blueprint.yaml', resolver: files({ 'blueprint.yaml': text, ...extra }) });

function expectDslError(fn: () => unknown, code?: number, withinMs = 5000): DslError {
  const start = Date.now();
  try {
    fn();
  } catch (e) {
    assert.ok(Date.now() - start < withinMs, `took ${Date.now() - start} ms`);
    assert.ok(e instanceof DslError, `expected DslError, got ${(e as Error)?.stack}`);
    if (code !== undefined) assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail('no error thrown');
}

test('YAML alias bomb', () => {
  const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 12; i++)
    lines.push(
      `a${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(', ')}]`,
    );
  expectDslError(() => parse(`${HEADER}dsl_definitions:\n${lines.map((l) => `  ${l}`).join('\n')}\n`));
});

test('very deep nesting (flow and block)', () => {
  expectDslError(() => parse(`${HEADER}metadata: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`));
  let block = `${HEADER}metadata:\n`;
  for (let i = 1; i < 400; i++) block += `${'  '.repeat(i)}k${i}:\n`;
  expectDslError(() => parse(`${block}${'  '.repeat(400)}v: 1\n`));
});

test('a 50 MB blueprint', () => {
  const big = `${HEADER}description: "${'x'.repeat(50 * 1024 * 1024)}"\n`;
  expectDslError(() => parse(big));
});

test('non-string keys', () => {
  expectDslError(() => parse(`${HEADER}node_types:\n  1: {}\n`), 1);
  expectDslError(() => parse(`${HEADER}node_types:\n  [a, b]: {}\n`), 1);
});

test('duplicate keys', () => {
  expectDslError(() => parse(`${HEADER}node_types:\n  t: {}\n  t: {}\n`));
});

test('unknown top-level keys', () => {
  const e = expectDslError(() => parse(`${HEADER}node_tempaltes: {}\n`), 1);
  assert.match(e.message, /node_tempaltes/);
});

test('cyclic type inheritance', () => {
  expectDslError(() => parse(`${HEADER}node_types:\n  a: {derived_from: b}\n  b: {derived_from: a}\n`), 100);
});

test('an import cycle terminates (the reference accepts cycles; each file is merged once)', () => {
  const plan = parse(`${HEADER}imports: [a.yaml]\nnode_types:\n  t: {}\n`, {
    'a.yaml': 'imports: [b.yaml]\nnode_types:\n  ta: {}\n',
    'b.yaml': 'imports: [a.yaml, blueprint.yaml]\nnode_types:\n  tb: {}\n',
  });
  assert.ok(plan);
});

test('an import cycle through the main file and a namespaced file terminates like the reference', () => {
  const plan = parse(`${HEADER}imports: [ns--a.yaml, a.yaml]\nnode_types:\n  t: {}\n`, {
    'a.yaml': 'imports: [b.yaml]\nnode_types:\n  ta: {}\n',
    'b.yaml': 'imports: [a.yaml]\nnode_types:\n  tb: {}\n',
  });
  assert.ok(plan); // a.yaml and b.yaml are each merged once per namespace (none and ns), no conflict
});

test('a runaway import chain (ever-new paths or namespaces) ends in a clear error 13', () => {
  // Every file imports a path that was never seen before: a/a.yaml, a/a/a.yaml, …
  const resolver: ImportResolver = {
    read: (p) => (p === 'blueprint.yaml' ? `${HEADER}imports: [a/x.yaml]\n` : 'imports: [a/x.yaml]\n'),
  };
  let e = expectDslError(() => parseBlueprint({ mainFile: 'blueprint.yaml', resolver }), 13);
  assert.match(e.message, /runaway import chain/);
  // The same file imported under an ever-growing namespace (ns, ns--ns, …).
  e = expectDslError(
    () => parse(`${HEADER}imports: [ns--a.yaml]\n`, { 'a.yaml': 'imports: [ns--a.yaml]\n' }),
    13,
  );
  assert.match(e.message, /more than 1000 files imported/);
});

test('a function with the wrong arity', () => {
  const text = `${HEADER}node_types:\n  t:\n    properties:\n      p: {}\nnode_templates:\n  n:\n    type: t\n    properties:\n      p: {get_property: [SELF]}\n`;
  const e = expectDslError(() => parse(text));
  assert.equal(e.errorClass, 'ValueError');
});

test('an unresolvable URL import names the URL and does not touch the network', () => {
  const e = expectDslError(() => parse(`${HEADER}imports: [http://example.invalid/x.yaml]\n`));
  assert.match(e.message, /example\.invalid/);
});
