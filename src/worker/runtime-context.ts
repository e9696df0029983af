// The DSL's RuntimeContext over the store: a snapshot of one deployment (inputs, node properties,
// instances with their runtime properties), secrets decrypted on demand, capabilities of other
// deployments. Used for operation inputs (has_intrinsic_functions) and for outputs/capabilities.
import { evaluateRuntimeFunctions, type RuntimeContext } from '../dsl/index.js';
import type { Db } from '../store/port.js';
import { readableSecrets } from '../store/repositories/secrets.js';

export interface SecretsCipher {
  decrypt(stored: string): string;
}

const MAX_DEPTH = 5;

function collectCapabilityRefs(v: unknown, out: Set<string>): void {
  if (Array.isArray(v)) for (const x of v) collectCapabilityRefs(x, out);
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (k === 'get_capability' && Array.isArray(x) && typeof x[0] === 'string') out.add(x[0]);
      collectCapabilityRefs(x, out);
    }
  }
}

/**
 * Loads what evaluating `value` on deployment `deploymentFk` needs. `value` is only scanned for
 * get_capability references, whose deployments are evaluated first (depth-limited).
 */
export async function loadRuntimeContext(
  db: Db,
  deploymentFk: number,
  secrets: SecretsCipher | undefined,
  value: unknown,
  depth = 0,
): Promise<RuntimeContext> {
  const [dep] = await db.query<{ inputs: Record<string, unknown>; _tenant_id: number; id: string }>(
    'SELECT id, inputs, _tenant_id FROM deployments WHERE _storage_id = $1',
    [deploymentFk],
  );
  if (!dep) throw new Error(`Deployment ${deploymentFk} no longer exists`);
  const nodes = await db.query<{ id: string; properties: Record<string, unknown> }>(
    'SELECT id, properties FROM nodes WHERE _deployment_fk = $1',
    [deploymentFk],
  );
  const instances = await db.query<{
    id: string;
    node_id: string;
    runtime_properties: Record<string, unknown>;
    relationships: { target_id: string; target_name?: string }[];
    index: number | null;
  }>(
    `SELECT ni.id, n.id AS node_id, ni.runtime_properties, ni.relationships, ni.index
     FROM node_instances ni JOIN nodes n ON n._storage_id = ni._node_fk WHERE n._deployment_fk = $1
     ORDER BY ni._storage_id`,
    [deploymentFk],
  );
  const props = new Map(nodes.map((n) => [n.id, n.properties]));
  const byId = new Map(instances.map((i) => [i.id, { ...i, index: i.index ?? undefined }]));
  const refs = new Set<string>();
  collectCapabilityRefs(value, refs);
  const caps = new Map<string, Record<string, unknown>>();
  for (const depId of refs) {
    if (depth >= MAX_DEPTH) break;
    const [other] = await db.query<{
      _storage_id: number;
      capabilities: Record<string, { value?: unknown }>;
    }>(
      `SELECT _storage_id, capabilities FROM deployments WHERE id = $1 AND (_tenant_id = $2 OR visibility = 'global')`,
      [depId, dep._tenant_id],
    );
    if (!other) continue;
    caps.set(
      depId,
      await evaluateSection(db, other._storage_id, other.capabilities ?? {}, secrets, depth + 1),
    );
  }
  let secretRows: Map<string, string> | undefined;
  const secretNames = new Set<string>();
  collectSecretRefs(value, secretNames);
  if (secretNames.size) {
    secretRows = await readableSecrets(db, dep._tenant_id, [...secretNames]);
  }
  return {
    inputs: dep.inputs ?? {},
    nodeProperties: (n) => props.get(n),
    nodeInstance: (id) => byId.get(id),
    nodeInstances: (n) => [...byId.values()].filter((i) => i.node_id === n),
    secret: (name) => {
      const stored = secretRows?.get(name);
      if (stored === undefined) return undefined;
      if (!secrets) throw new Error('get_secret: no secrets cipher configured in the worker');
      return secrets.decrypt(stored);
    },
    capability: (depId, name) => {
      const c = caps.get(depId);
      if (!c) throw new Error(`get_capability: deployment ${depId} does not exist`);
      if (!(name in c)) throw new Error(`get_capability: deployment ${depId} has no capability ${name}`);
      return c[name];
    },
    sys: (entity, property) => {
      if (entity === 'deployment' && property === 'id') return dep.id;
      return null;
    },
  };
}

function collectSecretRefs(v: unknown, out: Set<string>): void {
  if (Array.isArray(v)) for (const x of v) collectSecretRefs(x, out);
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (k === 'get_secret') {
        const name = Array.isArray(x) ? x[0] : x;
        if (typeof name === 'string') out.add(name);
      }
      collectSecretRefs(x, out);
    }
  }
}

/** Evaluates an outputs/capabilities section: `{name: {value, description}}` → `{name: value}`. */
export async function evaluateSection(
  db: Db,
  deploymentFk: number,
  section: Record<string, { value?: unknown } | unknown>,
  secrets: SecretsCipher | undefined,
  depth = 0,
): Promise<Record<string, unknown>> {
  const values = Object.fromEntries(
    Object.entries(section ?? {}).map(([k, v]) => [
      k,
      v && typeof v === 'object' && 'value' in (v as object) ? (v as { value: unknown }).value : v,
    ]),
  );
  const rc = await loadRuntimeContext(db, deploymentFk, secrets, values, depth);
  return evaluateRuntimeFunctions(values, rc) as Record<string, unknown>;
}

/** The deployment's outputs (or capabilities) with runtime functions evaluated (GET …/outputs). */
export async function evaluateDeploymentSection(
  db: Db,
  deploymentFk: number,
  which: 'outputs' | 'capabilities',
  secrets: SecretsCipher | undefined,
): Promise<Record<string, unknown>> {
  const [row] = await db.query<{ s: Record<string, unknown> }>(
    `SELECT ${which} AS s FROM deployments WHERE _storage_id = $1`,
    [deploymentFk],
  );
  if (!row) throw new Error(`Deployment ${deploymentFk} no longer exists`);
  return evaluateSection(db, deploymentFk, row.s ?? {}, secrets);
}
