// The test helper: a lab on its own temp state dir, bridge and subnet, so tests never meet a user's lab.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { parseCidr } from './cidr.js';
import { Lab } from './lab.js';
import { hostRoutes, netnsNames, overlappingRoutes } from './net.js';
import { isAlive, procRef, type ProcRef } from './procs.js';
import type { TopologySpec } from './topology.js';

export interface TestLab {
  lab: Lab;
  dir: string;
  /** Tears the lab down and removes the temp dir; safe to call twice. */
  down(): Promise<void>;
}

/** A free 10.178.X.0/24 and an unused bridge name, picked at random to avoid leftovers of other runs. */
export async function pickNetwork(): Promise<{ subnet: string; bridge: string }> {
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

const PREFIX = 'stratus-lab-test-';

/**
 * Labs of test runs that died before their cleanup (a killed CI job) are torn down here, so they do not
 * pile up. Only labs whose recorded owner process is gone are touched; nothing else is relied on.
 */
export async function sweepAbandonedTestLabs(): Promise<string[]> {
  const swept: string[] = [];
  for (const e of readdirSync(tmpdir()).filter((n) => n.startsWith(PREFIX))) {
    const dir = join(tmpdir(), e);
    let owner: ProcRef | undefined;
    try {
      owner = JSON.parse(readFileSync(join(dir, 'owner.json'), 'utf8')) as ProcRef;
    } catch {
      continue; // not (yet) a lab dir of ours
    }
    if (isAlive(owner)) continue;
    if (existsSync(join(dir, 'state'))) await new Lab({ stateDir: join(dir, 'state') }).down();
    rmSync(dir, { recursive: true, force: true });
    swept.push(dir);
  }
  return swept;
}

export async function startTestLab(spec: TopologySpec): Promise<TestLab> {
  await sweepAbandonedTestLabs();
  const dir = mkdtempSync(join(tmpdir(), PREFIX));
  writeFileSync(join(dir, 'owner.json'), JSON.stringify(procRef(process.pid)));
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
