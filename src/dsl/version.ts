// tosca_definitions_version handling (dsl_parser/version.py).
import { DslError, logicError } from './errors.js';

export interface DslVersion {
  raw: string;
  number: [number, number];
}

const VERSION_RE = /^cloudify_dsl_(\d+)_(\d+)(?:_(\d+))?$/;
const SUPPORTED = new Set(['1_0', '1_1', '1_2', '1_3', '1_4', '1_5']);

/** Parses a version value; `isMain` makes a missing value an error (code 27). */
export function parseVersion(value: unknown, isMain: boolean): DslVersion | undefined {
  if (value === undefined || value === null) {
    if (isMain) throw logicError(27, "Missing 'tosca_definitions_version' field in the main blueprint file");
    return undefined;
  }
  if (typeof value !== 'string') {
    throw new DslError(
      1,
      `Expected 'string' type but found a ${typeof value} (path: tosca_definitions_version)`,
    );
  }
  const m = VERSION_RE.exec(value);
  if (!m || !SUPPORTED.has(`${m[1]}_${m[2]}`)) {
    throw logicError(
      29,
      `Unexpected tosca_definitions_version '${value}'; supported: cloudify_dsl_1_0 … cloudify_dsl_1_5`,
    );
  }
  return { raw: value, number: [Number(m[1]), Number(m[2])] };
}

export const versionAtLeast = (v: DslVersion, min: [number, number]): boolean =>
  v.number[0] > min[0] || (v.number[0] === min[0] && v.number[1] >= min[1]);
