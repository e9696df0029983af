// `lab install`: the cluster guide's sequence, run in the nodes. Each step runs only if the installer
// already provides it; otherwise it is reported as not available. Nothing is simulated.
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import type { Lab } from './lab.js';
import type { LabNode, Role } from './topology.js';

const CFY_MANAGER = fileURLToPath(new URL('../../bin/cfy_manager', import.meta.url));
/** The guide's order: databases, then brokers, then managers, then the load balancer. */
const ROLE_ORDER: Role[] = ['database', 'queue', 'manager', 'load_balancer'];

export interface InstallStep {
  node: string;
  what: string;
  cmd?: string[];
  /** Why it cannot run yet; undefined when the installer supports it. */
  unavailable?: string;
}

export function planInstall(nodes: LabNode[], has: (command: string) => boolean): InstallStep[] {
  const first = nodes[0]!.name;
  const noCert = has('generate-test-cert') ? undefined : 'cfy_manager has no generate-test-cert command yet';
  const noInstall = has('install') ? undefined : 'cfy_manager has no install command yet (issue 7)';
  const steps: InstallStep[] = nodes.map((n) => ({
    node: first,
    what: `generate a test certificate for ${n.name}`,
    cmd: [CFY_MANAGER, 'generate-test-cert', '-s', `${n.ip},${n.name}`],
    unavailable: noCert,
  }));
  for (const n of nodes.slice(1)) {
    steps.push({ node: n.name, what: `copy ~/.cloudify-test-ca from ${first}`, unavailable: noCert });
  }
  for (const n of nodes) {
    steps.push({
      node: n.name,
      what: "write /etc/cloudify/config.yaml from the guide's template",
      unavailable: noInstall && "the installer's config.yaml schema does not exist yet (issue 7)",
    });
  }
  for (const role of ROLE_ORDER) {
    for (const n of nodes.filter((x) => x.roles.includes(role))) {
      if (steps.some((s) => s.what === 'cfy_manager install' && s.node === n.name)) continue;
      steps.push({
        node: n.name,
        what: 'cfy_manager install',
        cmd: [CFY_MANAGER, 'install'],
        unavailable: noInstall,
      });
    }
  }
  return steps;
}

/** Runs the plan in order and stops at the first step that is unavailable or fails. Returns the exit code. */
export async function installSequence(
  lab: Lab,
  program: Command,
  out: (line: string) => void,
): Promise<number> {
  const { topology } = lab.requireState();
  const has = (name: string) => program.commands.some((c) => c.name() === name);
  const steps = planInstall(topology.nodes, has);
  let blocked = false;
  for (const [i, step] of steps.entries()) {
    const label = `[${i + 1}/${steps.length}] ${step.node}: ${step.what}`;
    if (blocked || step.unavailable || !step.cmd) {
      out(
        `${label}: not available${step.unavailable ? ` (${step.unavailable})` : blocked ? ' (an earlier step did not run)' : ''}`,
      );
      blocked = true;
      continue;
    }
    const r = await lab.exec(step.node, step.cmd, { timeoutMs: 30 * 60_000 });
    out(
      `${label}: ${r.code === 0 ? 'done' : `failed (exit ${r.code}): ${r.stderr.trim().split('\n').pop()}`}`,
    );
    if (r.code !== 0) return 1;
  }
  if (blocked) out('install sequence not run: the installer (issue 7) does not provide these steps yet');
  return blocked ? 1 : 0;
}
