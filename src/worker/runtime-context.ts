// The DSL's RuntimeContext over the store: a snapshot of one deployment (inputs, node properties,
// instances with their runtime properties), secrets decrypted on demand, capabilities of other
// deployments. Used for operation inputs (has_intrinsic_functions) and for outputs/capabilities.
import { evaluateRuntimeFunctions, type RuntimeContext } from '../dsl/index.js';
import type { Db } from '../store/port.js';
import { findCapabilities, loadRuntimeDeployment } from '../store/repositories/deployments.js';
import { nodeProperties } from '../store/repositories/nodes.js';
import { runtimeInstances } from '../store/repositories/node-instances.js';
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
  const dep = await loadRuntimeDeployment(db, deploymentFk);
  if (!dep) throw new Error(`Deployment ${deploymentFk} no longer exists`);
  const props = await nodeProperties(db, deploymentFk);
  const instances = await runtimeInstances(db, deploymentFk);
  const byId = new Map(instances.map((i) => [i.id, { ...i, index: i.index ?? undefined }]));
  const refs = new Set<string>();
  collectCapabilityRefs(value, refs);
  const caps = new Map<string, Record<string, unknown>>();
  for (const depId of refs) {
    if (depth >= MAX_DEPTH) break;
    const other = await findCapabilities(db, dep._tenant_id, depId);
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
  const dep = await loadRuntimeDeployment(db, deploymentFk);
  if (!dep) throw new Error(`Deployment ${deploymentFk} no longer exists`);
  return evaluateSection(db, deploymentFk, dep[which] ?? {}, secrets);
}
