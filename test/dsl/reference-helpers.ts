// Helpers of the reference-parity tests: parse from in-memory files, and an error as `Class(code)`.
import assert from 'node:assert/strict';
import { DslError, type ImportResolver, parseBlueprint } from '../../src/dsl/index.js';

export const files = (map: Record<string, string>): ImportResolver => ({ read: (p) => map[p] });
export const parse = (text: string, extra: Record<string, string> = {}) =>
  parseBlueprint({ mainFile: 'blueprint.yaml', resolver: files({ 'blueprint.yaml': text, ...extra }) });
export const V = (v: string) => `tosca_definitions_version: cloudify_dsl_${v}\n`;

/** The error thrown by fn, as `Class(code)`, or `ok`. Anything but a DslError fails the test. */
export function outcome(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof DslError, `not a DslError: ${(e as Error)?.stack}`);
    return `${e.errorClass}(${e.code})`;
  }
  return 'ok';
}
