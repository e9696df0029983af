import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { API, type Caller, createDeployment, uploadBlueprint } from './helpers.js';

// Small blueprints for one behaviour each: every lifecycle op runs scripts/step.sh, whose MODE input
// says what to do (sleep, fail once, retry once, abort while a flag file exists, fork a daemon,
// print megabytes, hang). Each run appends to `<marker_dir>/<instance>.<op>`.

export const STEP_SH = `#!/bin/bash
me=$(ctx instance id)
echo x >> "$MARKER_DIR/$me.$OP"
case "$MODE" in
  sleep) sleep "$SECS" ;;
  fail-once)
    if [ ! -f "$MARKER_DIR/$me.$OP.failed" ]; then touch "$MARKER_DIR/$me.$OP.failed"; echo boom >&2; exit 1; fi ;;
  retry-once)
    if [ -z "$(ctx operation retry-number)" ]; then ctx retry-operation "not yet" @0; exit 0; fi ;;
  abort-if)
    if [ -f "$FLAG" ]; then ctx abort-operation "flag is set"; exit 1; fi ;;
  daemon)
    sleep 300 & echo $! >> "$MARKER_DIR/pids"
    echo $$ >> "$MARKER_DIR/pids"
    sleep 300 ;;
  spam) yes "spam spam spam spam spam spam spam spam spam spam spam spam" | head -n 100000 ;;
  hang) echo $$ >> "$MARKER_DIR/pids"; sleep 300 ;;
esac
exit 0
`;

export interface OpSpec {
  mode?: string;
  secs?: number;
  flag?: string;
  script?: string;
  max_retries?: number;
  retry_interval?: number;
  timeout?: number;
}

export interface NodeSpec {
  type?: string;
  instances?: number;
  ops?: Record<string, OpSpec>;
  relationships?: { type: string; target: string }[];
}

export function miniBlueprint(nodes: Record<string, NodeSpec>): string {
  const lines = [
    'tosca_definitions_version: cloudify_dsl_1_3',
    'imports:',
    '  - http://www.getcloudify.org/spec/cloudify/5.1/types.yaml',
    'inputs:',
    '  marker_dir: {type: string}',
    'node_templates:',
  ];
  for (const [name, n] of Object.entries(nodes)) {
    lines.push(`  ${name}:`, `    type: ${n.type ?? 'cloudify.nodes.Root'}`);
    if (n.instances !== undefined) lines.push(`    instances: {deploy: ${n.instances}}`);
    const ops = n.ops ?? {};
    if (Object.keys(ops).length) {
      lines.push('    interfaces:', '      cloudify.interfaces.lifecycle:');
      for (const [op, s] of Object.entries(ops)) {
        lines.push(`        ${op}:`, `          implementation: ${s.script ?? 'scripts/step.sh'}`);
        const inputs = [
          `OP: ${op}`,
          'MARKER_DIR: {get_input: marker_dir}',
          `MODE: '${s.mode ?? 'ok'}'`,
          `SECS: '${s.secs ?? 0}'`,
          `FLAG: '${s.flag ?? ''}'`,
        ];
        lines.push(`          inputs: {${inputs.join(', ')}}`);
        for (const k of ['max_retries', 'retry_interval', 'timeout'] as const) {
          if (s[k] !== undefined) lines.push(`          ${k}: ${s[k]}`);
        }
      }
    }
    if (n.relationships?.length) {
      lines.push('    relationships:');
      for (const r of n.relationships) lines.push(`      - {type: ${r.type}, target: ${r.target}}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export const miniFiles = (nodes: Record<string, NodeSpec>, extra: Record<string, string> = {}) => ({
  'blueprint.yaml': miniBlueprint(nodes),
  'scripts/step.sh': STEP_SH,
  ...extra,
});

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function readPids(markers: string): number[] {
  const f = join(markers, 'pids');
  return existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n').map(Number) : [];
}

export function killPids(pids: number[]) {
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {}
  }
}

export async function deploy(
  m: Caller,
  root: string,
  name: string,
  nodes: Record<string, NodeSpec>,
  extra: Record<string, string> = {},
): Promise<string> {
  const markers = join(root, name);
  mkdirSync(markers, { recursive: true });
  await uploadBlueprint(m, `bp-${name}`, miniFiles(nodes, extra));
  await createDeployment(m, name, `bp-${name}`, { marker_dir: markers });
  return markers;
}

export const count = (markers: string, file: string) =>
  existsSync(join(markers, file)) ? readFileSync(join(markers, file), 'utf8').trim().split('\n').length : 0;

export async function instancesOf(m: Caller, dep: string): Promise<any[]> {
  return (await m.call({ method: 'GET', url: `${API}/node-instances?deployment_id=${dep}` })).json().items;
}
