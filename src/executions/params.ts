// Workflow parameter validation against the deployment's workflow declaration
// (resource_models.py:1320-1420): unknown parameters need allow_custom_parameters, parameters without
// a default are required, and typed values are converted (strings from the CLI) or rejected.
import { illegalExecutionParameters } from '../common/errors.js';

export interface WorkflowParamDecl {
  default?: unknown;
  type?: string;
  description?: string;
  [k: string]: unknown;
}

function convert(name: string, type: string | undefined, v: unknown): unknown {
  const bad = () =>
    illegalExecutionParameters(
      `Parameter "${name}" must be of type ${type}, got ${JSON.stringify(v)} (${Array.isArray(v) ? 'list' : typeof v})`,
    );
  switch (type) {
    case 'integer': {
      if (typeof v === 'number' && Number.isInteger(v)) return v;
      if (typeof v === 'string' && /^[+-]?\d+$/.test(v.trim())) return Number(v);
      throw bad();
    }
    case 'float':
    case 'number': {
      if (typeof v === 'number' && Number.isFinite(v)) return v;
      if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
      throw bad();
    }
    case 'boolean': {
      if (typeof v === 'boolean') return v;
      if (typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
      throw bad();
    }
    case 'string':
      if (typeof v === 'string') return v;
      throw bad();
    case 'list': {
      if (Array.isArray(v)) return v;
      if (typeof v === 'string') {
        try {
          const p = JSON.parse(v);
          if (Array.isArray(p)) return p;
        } catch {}
      }
      throw bad();
    }
    case 'dict': {
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v;
      if (typeof v === 'string') {
        try {
          const p = JSON.parse(v);
          if (p !== null && typeof p === 'object' && !Array.isArray(p)) return p;
        } catch {}
      }
      throw bad();
    }
    default:
      return v;
  }
}

/** The execution's effective parameters: declared defaults, then the given values (converted). */
export function mergeWorkflowParameters(
  declared: Record<string, WorkflowParamDecl> | undefined,
  given: Record<string, unknown>,
  allowCustom: boolean,
): Record<string, unknown> {
  const decl = declared ?? {};
  const unknown = Object.keys(given).filter((k) => !(k in decl));
  if (unknown.length && !allowCustom) {
    throw illegalExecutionParameters(
      `Workflow parameters ${JSON.stringify(unknown)} are not declared by the workflow: remove them or pass allow_custom_parameters=true`,
    );
  }
  const missing = Object.keys(decl).filter(
    (k) => !(k in given) && !(decl[k] && typeof decl[k] === 'object' && 'default' in decl[k]),
  );
  if (missing.length) {
    throw illegalExecutionParameters(
      `Workflow parameters ${JSON.stringify(missing)} are required and have no default: pass a value for each`,
    );
  }
  const out: Record<string, unknown> = {};
  for (const [k, d] of Object.entries(decl)) {
    const type = d && typeof d === 'object' ? d.type : undefined;
    if (k in given) out[k] = given[k] === null ? null : convert(k, type, given[k]);
    else out[k] = d.default;
  }
  for (const k of unknown) out[k] = given[k];
  return out;
}
