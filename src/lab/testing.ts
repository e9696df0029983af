// The test helper: a lab on its own temp state dir, bridge and subnet, so tests never meet a user's lab.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { parseCidr } from './cidr.js';
import { Lab } from './lab.js';
import { hostRoutes, netnsNames, overlappingRoutes } from './net.js';
import type { TopologySpec } from './topology.js';

export interface TestLab {
  lab: Lab;
  dir: string;
  /** Tears the lab down and removes the temp dir; safe to call twice. */
  down(): Promise<void>;
}

/** A free 10.178.X.0/24 and an unused bridge name, picked at random to avoid leftovers of other runs. */
async function pickNetwork(): Promise<{ subnet: string; bridge: string }> {
  const routes = await hostRoutes();
  const spaces = await netnsNames();
  for (let i = 0; i < 50; i++) {
    const x = Math.floor(Math.random() * 250) + 1;
    const subnet = `10.178.${x}.0/24`;
    const bridge = `stt${x}`;
    if (overlappingRoutes(parseCidr(subnet), routes, '').length > 0) continue;
    if ([...spaces].some((s) => s.startsWith(`${bridge}-`))) continue;
    return { subnet, bridge };
  }
  throw new Error('no free test subnet in 10.178.0.0/16');
}

export async function startTestLab(spec: TopologySpec): Promise<TestLab> {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-lab-test-'));
  const topology = join(dir, 'topology.yaml');
  writeFileSync(topology, stringify(spec));
  const lab = new Lab({ stateDir: join(dir, 'state'), ...(await pickNetwork()) });
  let done = false;
  const down = async () => {
    if (done) return;
    done = true;
    try {
      await lab.down();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    await lab.up(topology);
  } catch (err) {
    await down();
    throw err;
  }
  return { lab, dir, down };
}
