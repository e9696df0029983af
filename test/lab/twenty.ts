// The guide-cluster scenarios' workload: an install of 20 instances whose scripts sleep, started through
// the load balancer (test/lab/chaos.ts checks what it left).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Lab } from '../../src/lab/lab.js';
import { within } from '../../src/lab/within.js';
import { type Cfy, json } from '../cli/helpers.js';

export const TWENTY = join(import.meta.dirname, 'fixtures/twenty');

/** Starts `install` of a fresh 20-instance deployment through `via`; resolves once operations run on a manager. */
export async function startTwentyInstall(lab: Lab, via: Cfy, managers: string[], dep: string) {
  const up = await via(['blueprints', 'upload', TWENTY, '-b', dep]);
  assert.equal(up.code, 0, up.stdout + up.stderr);
  assert.equal((await via(['deployments', 'create', dep, '-b', dep])).code, 0);
  const t0 = Date.now();
  const following = via(['executions', 'start', 'install', '-d', dep, '--timeout', '600']);
  const running = await within(
    120_000,
    async () => {
      for (const name of managers) {
        if ((await lab.exec(name, ['pgrep', '-x', 'sleep']).catch(() => undefined))?.code === 0) return name;
      }
      return undefined;
    },
    (x) => x !== undefined,
    `the operations of ${dep} running on a manager`,
  );
  const execs = json<{ id: string; workflow_id: string }[]>(
    await via(['executions', 'list', '-d', dep, '--json']),
  );
  return { id: execs.find((e) => e.workflow_id === 'install')!.id, worker: running!, following, t0 };
}
