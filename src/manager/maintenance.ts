// Maintenance mode (rest-api.md §3.4): activating while executions still run (new executions and
// deployment writes refused with 503 entering_maintenance_mode), then activated (every endpoint but
// the cluster, status, version, license, config and maintenance ones refused with 503
// maintenance_mode_active). A sys_admin sending `X-BYPASS-MAINTENANCE` passes. The state is one row
// in the database, so every manager of a cluster applies it.
import type { FastifyRequest } from 'fastify';
import { END_STATES } from '../executions/status.js';
import { enteringMaintenanceMode, maintenanceModeActive } from '../common/errors.js';
import type { Db } from '../store/port.js';
import {
  completeMaintenance,
  type MaintenanceRow,
  maintenanceState,
  runningExecutions,
} from '../store/repositories/manager-settings.js';
import { hasPermission } from './auth/permissions.js';

/** The first path segment of an API request that still answers while maintenance mode is activated. */
const ALLOWED = new Set([
  'brokers',
  'managers',
  'db-nodes',
  'cluster',
  'config',
  'status',
  'version',
  'license',
  'maintenance',
  'cluster-status',
  'file-server-auth',
  'snapshots',
  'snapshot-status',
]);
const WRITES = new Set(['POST', 'PATCH', 'PUT']);
const MESSAGE = 'Your request was rejected since Cloudify manager is currently in maintenance mode';

/** The resource of an API path (`/api/v3.1/deployments/d1` → `deployments`, `/api/version` → `version`). */
function resourceOf(url: string): { name: string; rest: string[] } | undefined {
  const path = url.split('?')[0]!;
  const m = /^\/api\/(?:v[\d.]+\/)?([^/]+)(.*)$/.exec(path);
  if (!m) return undefined;
  return { name: m[1]!, rest: m[2]!.split('/').filter(Boolean) };
}

/** While activating, what 5.1 refuses: writes of executions, a deployment, modifications, snapshots. */
function refusedWhileActivating(method: string, r: { name: string; rest: string[] }): boolean {
  if (r.name === 'snapshots' && r.rest.length === 2 && r.rest[1] === 'restore') return true;
  if (!WRITES.has(method)) return false;
  if (r.name === 'executions' || r.name === 'deployment-modifications') return r.rest.length === 0;
  return (r.name === 'deployments' || r.name === 'snapshots') && r.rest.length === 1;
}

/** The state, moved to activated when it was activating and no execution runs any more. */
export async function currentMaintenance(db: Db): Promise<MaintenanceRow | undefined> {
  const state = await maintenanceState(db);
  if (state?.status !== 'activating') return state;
  if ((await runningExecutions(db, END_STATES)).length > 0) return state;
  const done = await completeMaintenance(db);
  forgetMaintenance(db);
  return done;
}

// The gate runs on every authenticated request: the state is read at most once a second per database
// (another manager's change is seen within that second; this manager's own change at once, forgetMaintenance).
const seen = new WeakMap<Db, { at: number; state: Promise<MaintenanceRow | undefined> }>();
const SEEN_MS = 1000;

function cachedMaintenance(db: Db): Promise<MaintenanceRow | undefined> {
  const c = seen.get(db);
  if (c && Date.now() - c.at < SEEN_MS) return c.state;
  const state = maintenanceState(db);
  seen.set(db, { at: Date.now(), state });
  state.catch(() => seen.delete(db));
  return state;
}

/** After this manager changed the state: the next request reads it again. */
export function forgetMaintenance(db: Db): void {
  seen.delete(db);
}

/** Throws the 503 of 5.1 when maintenance mode refuses this authenticated request. */
export async function maintenanceGate(db: Db, req: FastifyRequest): Promise<void> {
  const r = resourceOf(req.url);
  if (!r) return;
  const state = await cachedMaintenance(db);
  if (!state) return;
  if (req.headers['x-bypass-maintenance'] && hasPermission(req.auth.roles, 'maintenance_mode_set')) return;
  let status = state.status;
  if (status === 'activating') {
    status = (await currentMaintenance(db))?.status ?? 'activating';
    if (status === 'activating' && refusedWhileActivating(req.method, r))
      throw enteringMaintenanceMode(MESSAGE);
  }
  if (ALLOWED.has(r.name)) return;
  if (status === 'activated') throw maintenanceModeActive(MESSAGE);
}
