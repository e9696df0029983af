// `lab install`: the cluster guide's sequence, run in the nodes. Each step runs only if the installer
// already provides it; otherwise it is reported as not available. Nothing is simulated.
import { cpSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { databaseConfig, queueConfig } from './guide-config.js';
import type { Lab } from './lab.js';
import { fsRoot } from './nodes.js';
import type { LabNode, Role } from './topology.js';

const CFY_MANAGER = fileURLToPath(new URL('../../bin/cfy_manager', import.meta.url));
/** The guide's order: databases, then brokers, then managers, then the load balancer. */
const ROLE_ORDER: Role[] = ['database', 'queue', 'manager', 'load_balancer'];
/** Roles whose config template and install the installer provides. */
const INSTALLABLE: Role[] = ['database', 'queue'];

export interface InstallStep {
  node: string;
  what: string;
  cmd?: string[];
  /** A step done from the host (copying files, writing config.yaml). */
  act?: (lab: Lab) => Promise<void> | void;
  /** Why it cannot run yet; undefined when the installer supports it. */
  unavailable?: string;
}

function configFor(n: LabNode, nodes: LabNode[]): string | undefined {
  const of = (role: Role) => nodes.filter((x) => x.roles.includes(role));
  if (n.roles.length !== 1) return undefined; // compact/all-in-one nodes need several config files
  if (n.roles[0] === 'database') return databaseConfig(n, of('database'));
  if (n.roles[0] === 'queue') return queueConfig(n, of('queue'));
  return undefined;
}

export function planInstall(nodes: LabNode[], has: (command: string) => boolean): InstallStep[] {
  const first = nodes[0]!.name;
  const noCert = has('generate-test-cert') ? undefined : 'cfy_manager has no generate-test-cert command yet';
  const noInstall = has('install') ? undefined : 'cfy_manager has no install command yet';
  const noRole = (n: LabNode) =>
    noInstall ??
    (n.roles.length === 1 && has(`install:${n.roles[0]}`)
      ? undefined
      : `cfy_manager cannot install ${n.roles.join(' + ')} yet`);
  const steps: InstallStep[] = nodes.map((n) => ({
    node: first,
    what: `generate a test certificate for ${n.name}`,
    cmd: [CFY_MANAGER, 'generate-test-cert', '-s', `${n.ip},${n.name}`],
    unavailable: noCert,
  }));
  for (const n of nodes.slice(1)) {
    steps.push({
      node: n.name,
      what: `copy ~/.cloudify-test-ca from ${first}`,
      act: (lab) => {
        const from = join(fsRoot(lab.stateDir, first), 'root/.cloudify-test-ca');
        if (existsSync(from))
          cpSync(from, join(fsRoot(lab.stateDir, n.name), 'root/.cloudify-test-ca'), { recursive: true });
      },
      unavailable: noCert,
    });
  }
  for (const n of nodes) {
    const yaml = configFor(n, nodes);
    steps.push({
      node: n.name,
      what: "write /etc/cloudify/config.yaml from the guide's template",
      act: (lab) => {
        writeFileSync(join(fsRoot(lab.stateDir, n.name), 'etc/cloudify/config.yaml'), yaml!);
      },
      unavailable: noRole(n) && (yaml ? noRole(n) : `no guide template for ${n.roles.join(' + ')} yet`),
    });
  }
  for (const role of ROLE_ORDER) {
    for (const n of nodes.filter((x) => x.roles.includes(role))) {
      if (steps.some((s) => s.what === 'cfy_manager install' && s.node === n.name)) continue;
      steps.push({
        node: n.name,
        what: 'cfy_manager install',
        cmd: [CFY_MANAGER, 'install'],
        unavailable: noRole(n),
      });
    }
  }
  return steps;
}

/**
 * Runs the plan in order: steps the installer provides run, the others are reported as not available
 * (nothing is simulated), and the first failure stops the sequence. Exit code 0 only when every step ran.
 */
export async function installSequence(
  lab: Lab,
  program: Command,
  out: (line: string) => void,
): Promise<number> {
  const { topology } = lab.requireState();
  const installable = (role: string) => INSTALLABLE.includes(role as Role);
  const has = (name: string) =>
    name.startsWith('install:')
      ? installable(name.slice(8))
      : program.commands.some((c) => c.name() === name);
  const steps = planInstall(topology.nodes, has);
  let blocked = false;
  for (const [i, step] of steps.entries()) {
    const label = `[${i + 1}/${steps.length}] ${step.node}: ${step.what}`;
    if (step.unavailable) {
      out(`${label}: not available (${step.unavailable})`);
      blocked = true;
      continue;
    }
    if (step.act) {
      await step.act(lab);
      out(`${label}: done`);
      continue;
    }
    const r = await lab.exec(step.node, step.cmd!, { timeoutMs: 30 * 60_000 });
    out(
      `${label}: ${r.code === 0 ? 'done' : `failed (exit ${r.code}): ${r.stderr.trim().split('\n').pop()}`}`,
    );
    if (r.code !== 0) return 1;
  }
  if (blocked) out('install sequence incomplete: the installer does not provide every step yet');
  return blocked ? 1 : 0;
}
