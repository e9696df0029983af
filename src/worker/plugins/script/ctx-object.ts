// What a script's `ctx …` call means (dsl-and-workflows.md §4.3–4.4): the args are walked against
// the operation's context. Mappings (properties, runtime-properties) take a dotted path (`a.b[0].c`)
// to read, or a path and a value to write; `returns`, `abort-operation` and `retry-operation` end
// the script's operation (only one of them per run).
import { readFileSync } from 'node:fs';
import type { EntityView, OperationContext } from '../types.js';
import { resolveResource } from './resources.js';

export type CtxReply =
  | { type: 'result'; payload: unknown }
  | { type: 'error'; payload: { type: string; message: string; traceback: string | null } }
  | { type: 'stop_operation'; payload: string };

export interface ScriptOutcome {
  returns?: { value: unknown };
  abort?: string;
  retry?: { message: string; afterMs?: number };
}

export class CtxError extends Error {
  constructor(
    message: string,
    readonly type = 'RuntimeError',
  ) {
    super(message);
  }
}

/** `a.b[0].c` → ['a', 'b', 0, 'c'] */
export function parsePath(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const part of path.split('.')) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) throw new CtxError(`Invalid path: ${path}`);
    if (m[1] !== '') out.push(m[1]);
    for (const idx of m[2].matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  return out;
}

function getPath(obj: unknown, path: string): unknown {
  let cur: any = obj;
  for (const k of parsePath(path)) {
    if (cur === null || typeof cur !== 'object' || !(k in cur)) {
      throw new CtxError(`${path} cannot be found in the mapping`, 'KeyError');
    }
    cur = cur[k];
  }
  return cur;
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = parsePath(path);
  let cur: any = obj;
  for (let i = 0; i < keys.length - 1; i++) {
    const k = keys[i];
    if (cur[k] === undefined || cur[k] === null || typeof cur[k] !== 'object') cur[k] = {};
    cur = cur[k];
  }
  cur[keys[keys.length - 1]] = value;
}

/** A mapping: no more args → the whole dict; one → read the path; two → write the path. */
function mapping(m: Record<string, unknown>, rest: unknown[], writable: (() => void) | undefined): unknown {
  if (rest.length === 0) return m;
  const path = String(rest[0]);
  if (rest.length === 1) return getPath(m, path);
  if (!writable) throw new CtxError('This mapping is read-only');
  setPath(m, path, rest[1]);
  writable();
  return null;
}

const norm = (s: unknown) => String(s).replace(/-/g, '_');

function nodeCall(e: EntityView | undefined, rest: unknown[]): unknown {
  if (!e)
    throw new CtxError('node is not available in this operation (use source/target in relationship ops)');
  const [what, ...more] = rest;
  switch (norm(what)) {
    case 'id':
      return e.node.id;
    case 'name':
      return e.node.name;
    case 'type':
      return e.node.type;
    case 'type_hierarchy':
      return e.node.type_hierarchy;
    case 'properties':
      return mapping(e.node.properties, more, undefined);
    case 'undefined':
      return e.node;
  }
  throw new CtxError(`ctx node has no attribute ${String(what)}`, 'AttributeError');
}

function instanceCall(
  e: EntityView | undefined,
  rest: unknown[],
  op: OperationContext,
): unknown | Promise<unknown> {
  if (!e)
    throw new CtxError('instance is not available in this operation (use source/target in relationship ops)');
  const [what, ...more] = rest;
  const inst = e.instance;
  switch (norm(what)) {
    case 'id':
      return inst.id;
    case 'host_ip':
      return (inst.runtime_properties.ip as string | undefined) ?? '127.0.0.1';
    case 'relationships':
      return inst.relationships;
    case 'runtime_properties':
      return mapping(inst.runtime_properties, more, () => {
        inst.dirty = true;
      });
    case 'update':
      return op.updateInstances().then(() => null);
    case 'undefined':
      return { id: inst.id, runtime_properties: inst.runtime_properties };
  }
  throw new CtxError(`ctx instance has no attribute ${String(what)}`, 'AttributeError');
}

function entity(e: EntityView | undefined, rest: unknown[], op: OperationContext, side: string) {
  if (!e) throw new CtxError(`ctx ${side} is only available in relationship operations`);
  const [what, ...more] = rest;
  if (norm(what) === 'node') return nodeCall(e, more);
  if (norm(what) === 'instance') return instanceCall(e, more, op);
  throw new CtxError(`ctx ${side} has no attribute ${String(what)}`, 'AttributeError');
}

/** Runs one ctx call; `outcome` collects returns/abort/retry. */
export async function ctxCall(
  op: OperationContext,
  outcome: ScriptOutcome,
  args: unknown[],
): Promise<CtxReply> {
  try {
    const payload = await dispatch(op, outcome, args);
    if (outcome.abort !== undefined && norm(args[0]) === 'abort_operation') {
      return { type: 'stop_operation', payload: outcome.abort };
    }
    if (outcome.retry && norm(args[0]) === 'retry_operation') {
      return { type: 'stop_operation', payload: outcome.retry.message };
    }
    return { type: 'result', payload: payload === undefined ? null : payload };
  } catch (err) {
    const e = err as Error & { type?: string };
    return {
      type: 'error',
      payload: { type: e.type ?? e.name ?? 'Error', message: e.message, traceback: e.stack ?? null },
    };
  }
}

function oneEnding(outcome: ScriptOutcome) {
  if (outcome.returns || outcome.abort !== undefined || outcome.retry) {
    throw new CtxError(
      'returns, abort-operation and retry-operation may be called only once, and only one of them',
    );
  }
}

async function dispatch(op: OperationContext, outcome: ScriptOutcome, args: unknown[]): Promise<unknown> {
  if (args.length === 0) throw new CtxError('No ctx command given');
  const [head, ...rest] = args;
  switch (norm(head)) {
    case 'logger': {
      const level = norm(rest[0]);
      const msg = rest.slice(1).map(String).join(' ');
      const lv = level === 'warn' ? 'warning' : level;
      if (!['debug', 'info', 'warning', 'error'].includes(lv)) {
        throw new CtxError(`Unknown log level ${String(rest[0])}: use debug, info, warning or error`);
      }
      op.log(lv as 'info', msg);
      return null;
    }
    case 'node':
      return nodeCall(op.self, rest);
    case 'instance':
      return instanceCall(op.self, rest, op);
    case 'source':
      return entity(op.source, rest, op, 'source');
    case 'target':
      return entity(op.target, rest, op, 'target');
    case 'deployment':
      if (norm(rest[0]) === 'id') return op.deploymentId;
      throw new CtxError(`ctx deployment has no attribute ${String(rest[0])}`, 'AttributeError');
    case 'blueprint':
      if (norm(rest[0]) === 'id') return op.blueprintId;
      throw new CtxError(`ctx blueprint has no attribute ${String(rest[0])}`, 'AttributeError');
    case 'execution_id':
      return op.executionId;
    case 'workflow_id':
      return op.workflowId;
    case 'tenant_name':
      return op.tenantName;
    case 'tenant':
      return { name: op.tenantName };
    case 'type':
      return op.relationship ? 'relationship-instance' : 'node-instance';
    case 'operation': {
      const w = norm(rest[0]);
      if (w === 'name') return op.operation.name;
      if (w === 'retry_number') return op.operation.retryNumber;
      if (w === 'max_retries') return op.operation.maxRetries;
      if (w === 'relationship') return op.relationship?.side ?? null;
      throw new CtxError(`ctx operation has no attribute ${String(rest[0])}`, 'AttributeError');
    }
    case 'returns':
      oneEnding(outcome);
      outcome.returns = { value: rest[0] ?? null };
      return null;
    case 'abort_operation':
      oneEnding(outcome);
      outcome.abort = rest.map(String).join(' ') || 'aborted';
      return null;
    case 'retry_operation': {
      oneEnding(outcome);
      const after = rest[1];
      outcome.retry = {
        message: String(rest[0] ?? 'retry requested'),
        ...(after !== undefined && after !== null ? { afterMs: Number(after) * 1000 } : {}),
      };
      return null;
    }
    case 'get_resource':
      return readFileSync(resolveResource(op.blueprintDir, String(rest[0])), 'utf8');
    case 'download_resource':
    case 'download_resource_and_render': {
      const src = resolveResource(op.blueprintDir, String(rest[0]));
      if (rest[1] === undefined) return src;
      const { copyFileSync } = await import('node:fs');
      copyFileSync(src, String(rest[1]));
      return String(rest[1]);
    }
  }
  throw new CtxError(`ctx has no attribute ${String(head)}`, 'AttributeError');
}
