// `lab install`: the cluster guide's sequence from nothing, run in the nodes as an operator would run it:
// one test CA and a certificate for every node, the guide's config.yaml on every node, then
// `cfy_manager install` on the databases and, side by side, the brokers (each role one node after the
// other), then the managers one after the other, then the load balancer. The lab reaches the installer
// only by running bin/cfy_manager inside the nodes.
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { LabError } from './errors.js';
import {
  databaseConfig,
  type GuideNode,
  LAB_ADMIN_PASSWORD,
  lbConfig,
  managerConfig,
  queueConfig,
} from './guide-config.js';
import type { ExecResult, Lab } from './lab.js';
import { fsRoot } from './nodes.js';
import type { LabNode, Role } from './topology.js';

const CFY_MANAGER = fileURLToPath(new URL('../../bin/cfy_manager', import.meta.url));
/** The guide's order: databases, then brokers, then managers, then the load balancer. */
const ROLE_ORDER: Role[] = ['database', 'queue', 'manager', 'load_balancer'];
/** The service of services_to_install that makes a node what its role says. */
const ROLE_SERVICE: Record<Role, string> = {
  database: 'database_service',
  queue: 'queue_service',
  manager: 'manager_service',
  load_balancer: 'load_balancer_service',
};
const CA_DIR = 'root/.cloudify-test-ca';
const INSTALL_TIMEOUT_MS = 30 * 60_000;

export interface NodePlan {
  node: LabNode;
  role: Role;
  /** The node's /etc/cloudify/config.yaml. */
  config: string;
  services: string[];
}

const guide = (n: LabNode): GuideNode => ({ name: n.name, ip: n.ip });

function configFor(n: LabNode, role: Role, nodes: LabNode[]): string {
  const of = (r: Role) => nodes.filter((x) => x.roles.includes(r)).map(guide);
  const need = (r: Role, what: string) => {
    const found = of(r);
    if (found.length === 0) {
      throw new LabError(`node ${n.name} (${role}) needs ${what}, and the topology has no ${r} node`, {
        fix: `add a node with roles: [${r}] to the topology`,
      });
    }
    return found;
  };
  if (role === 'database') return databaseConfig(guide(n), of('database'));
  if (role === 'queue') return queueConfig(guide(n), of('queue'));
  if (role === 'manager') {
    const lb = of('load_balancer')[0];
    return managerConfig(guide(n), {
      databases: need('database', 'a database'),
      brokers: need('queue', 'a broker'),
      ...(lb ? { loadBalancer: lb } : {}),
    });
  }
  return lbConfig(guide(n), need('manager', 'managers to balance'));
}

/**
 * Every node with a role, in the guide's order (databases, brokers, managers, load balancer; topology
 * order within a role), with its config.yaml. Throws before anything changes when a node cannot follow
 * the guide (several roles on one node, a manager without databases, …).
 */
export function planInstall(nodes: LabNode[]): NodePlan[] {
  const multi = nodes.find((n) => n.roles.length > 1);
  if (multi) {
    throw new LabError(
      `node ${multi.name} has several roles (${multi.roles.join(' + ')}); the cluster guide installs one role per node`,
      { fix: 'use the best-practice topology, or a topology file with one role per node' },
    );
  }
  return ROLE_ORDER.flatMap((role) =>
    nodes
      .filter((n) => n.roles[0] === role)
      .map((node) => {
        const config = configFor(node, role, nodes);
        const services = (parse(config) as { services_to_install: string[] }).services_to_install;
        return { node, role, config, services };
      }),
  );
}

const seconds = (t0: number) => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

/** The installer's own error line (`<Error>: message`, with its continuation lines), else the last line. */
function failureLine(r: ExecResult): string {
  for (const text of [r.stderr, r.stdout]) {
    const lines = text.split('\n');
    const at = lines.findIndex((l) => l.includes(' - ERROR - '));
    if (at < 0) continue;
    const parts = [lines[at]!.split(' - ERROR - ')[1]!];
    for (const l of lines.slice(at + 1)) {
      if (/^\S+ \S+ - \[/.test(l)) break; // the next log record
      if (l.trim()) parts.push(l.trim());
    }
    return parts.join(' ');
  }
  const last = r.stderr.trim().split('\n').pop() || r.stdout.trim().split('\n').pop();
  return last || `exit ${r.code}`;
}

interface Certificates {
  /** Resolves once the node's certificate exists and ~/.cloudify-test-ca is copied to the node. */
  ready(node: LabNode): Promise<void>;
  /** Every certificate made, the whole directory copied to every node; resolves to the progress line. */
  all: Promise<string>;
}

/**
 * One CA on the first node and a certificate for every node (IP and name as SANs), made two at a time in
 * the guide's order while the first nodes install (RSA 4096 keys take seconds each). Certificates of an
 * earlier run are kept, so a second `lab install` continues where one stopped. Files already in a node's
 * directory are never overwritten.
 */
function certificates(lab: Lab, plan: NodePlan[]): Certificates {
  const t0 = Date.now();
  const nodes = plan.map((p) => p.node);
  const first = nodes[0]!;
  const from = join(fsRoot(lab.stateDir, first.name), CA_DIR);
  const copy = (n: LabNode) => {
    if (n.name !== first.name)
      cpSync(from, join(fsRoot(lab.stateDir, n.name), CA_DIR), { recursive: true, force: false });
  };
  const make = async (n: LabNode) => {
    if (existsSync(join(from, `${n.ip}.crt`))) return;
    const r = await lab.exec(first.name, [CFY_MANAGER, 'generate-test-cert', '-s', `${n.ip},${n.name}`]);
    if (r.code !== 0) {
      throw new LabError(`[${first.name}] generate-test-cert for ${n.name} failed: ${failureLine(r)}`);
    }
  };
  const quiet = (x: Promise<void>) => {
    x.catch(() => undefined); // the failure reaches whoever awaits this node's certificate
    return x;
  };
  const made = new Map<string, Promise<void>>([[first.name, quiet(make(first))]]); // the first makes the CA
  const lanes = [made.get(first.name)!, made.get(first.name)!];
  nodes.slice(1).forEach((n, i) => {
    lanes[i % 2] = quiet(lanes[i % 2]!.then(() => make(n)));
    made.set(n.name, lanes[i % 2]!);
  });
  const all = Promise.all(made.values()).then(() => {
    for (const n of nodes) copy(n);
    return `[certificates] one CA and a certificate for each of the ${nodes.length} nodes in ~/.cloudify-test-ca of ${first.name}, copied to every node, in ${seconds(t0)}`;
  });
  all.catch(() => undefined);
  return {
    ready: async (n) => {
      await made.get(n.name);
      copy(n);
    },
    all,
  };
}

function writeConfigs(lab: Lab, plan: NodePlan[], out: (l: string) => void): void {
  const todo = plan.filter((x) => !installed(lab, x));
  for (const p of todo) {
    writeFileSync(join(fsRoot(lab.stateDir, p.node.name), 'etc/cloudify/config.yaml'), p.config, {
      mode: 0o600,
    });
  }
  if (todo.length > 0) {
    out(
      `[config] the guide's /etc/cloudify/config.yaml written on ${todo.map((p) => p.node.name).join(', ')}`,
    );
  }
}

/** What the installer recorded as installed for each service (empty when it has no component for it). */
function installedComponents(lab: Lab, node: string): Record<string, string[]> {
  const f = join(fsRoot(lab.stateDir, node), 'etc/cloudify/.installed/components.yaml');
  return existsSync(f) ? ((parse(readFileSync(f, 'utf8')) as Record<string, string[]>) ?? {}) : {};
}

/** The node's role is installed already (a previous `lab install` got that far). */
const installed = (lab: Lab, p: NodePlan): boolean =>
  (installedComponents(lab, p.node.name)[ROLE_SERVICE[p.role]]?.length ?? 0) > 0;

/** `cfy_manager install` in one node; the returned line is its progress line, or its failure. */
async function installNode(lab: Lab, p: NodePlan): Promise<{ ok: boolean; line: string }> {
  const t0 = Date.now();
  const name = p.node.name;
  if (installed(lab, p)) return { ok: true, line: `[${name}] ${p.services.join(', ')} already installed` };
  const r = await lab.exec(name, [CFY_MANAGER, 'install'], { timeoutMs: INSTALL_TIMEOUT_MS });
  const log = join(fsRoot(lab.stateDir, name), 'var/log/cloudify/manager/cfy_manager.log');
  if (r.code !== 0) {
    return {
      ok: false,
      line: `[${name}] cfy_manager install failed after ${seconds(t0)}: ${failureLine(r)} (log: ${log})`,
    };
  }
  if (!installed(lab, p)) {
    const service = ROLE_SERVICE[p.role];
    return {
      ok: false,
      line: `[${name}] cfy_manager has no component for ${service}, so it cannot install a ${p.role.replace('_', ' ')} node`,
    };
  }
  return { ok: true, line: `[${name}] ${p.services.join(', ')} installed in ${seconds(t0)}` };
}

/**
 * The plan as stages run one after the other, each a set of chains run side by side, the nodes of a chain
 * one after the other: the databases and the brokers need nothing from each other, so their chains run
 * together; then the managers (the first creates the database the others join), then the load balancer.
 */
function stages(plan: NodePlan[]): NodePlan[][][] {
  const of = (r: Role) => plan.filter((p) => p.role === r);
  return [
    [of('database'), of('queue')].filter((c) => c.length > 0),
    [of('manager')],
    [of('load_balancer')],
  ].filter((stage) => stage.some((c) => c.length > 0));
}

/** The CLI line for the cluster: through the load balancer when there is one, else the first manager. */
function profilesLine(lab: Lab, plan: NodePlan[]): string | undefined {
  const front =
    plan.find((p) => p.role === 'load_balancer') ?? plan.find((p) => p.role === 'manager') ?? undefined;
  if (!front) return undefined;
  const ca = join(fsRoot(lab.stateDir, front.node.name), CA_DIR, 'ca.crt');
  return `cfy profiles use ${front.node.ip} -u admin -p ${LAB_ADMIN_PASSWORD} -t default_tenant --ssl -c ${ca}`;
}

/**
 * The whole sequence; the first failure stops it with one line. Exit code 0 when every node is installed.
 * Nodes without a role are left alone; `roles` limits the config files and installs to nodes of those
 * roles (tests that install the managers themselves), the certificates are still made for every node.
 */
export async function installSequence(
  lab: Lab,
  out: (line: string) => void,
  opts: { roles?: Role[] } = {},
): Promise<number> {
  const t0 = Date.now();
  const full = planInstall(lab.requireState().topology.nodes);
  const plan = full.filter((p) => !opts.roles || opts.roles.includes(p.role));
  if (plan.length === 0) {
    out('no node of the topology has a role: nothing to install');
    return 0;
  }
  const stopped = (await lab.status()).filter((n) => n.state !== 'running').map((n) => n.name);
  const needed = stopped.filter((n) => full.some((p) => p.node.name === n));
  if (needed.length > 0) {
    throw new LabError(`node ${needed.join(', ')} is stopped`, {
      fix: `run cfy_manager lab start ${needed[0]}`,
    });
  }
  const certs = certificates(lab, full); // every node's, also when only some roles install
  writeConfigs(lab, plan, out);
  try {
    for (const stage of stages(plan)) {
      const chains = await Promise.all(
        stage.map(async (chain) => {
          for (const p of chain) {
            await certs.ready(p.node);
            const { ok, line } = await installNode(lab, p);
            out(line);
            if (!ok) return false;
          }
          return true;
        }),
      );
      if (chains.includes(false)) return 1;
    }
    out(await certs.all);
  } catch (err) {
    if (!(err instanceof LabError)) throw err;
    out(err.message);
    return 1;
  }
  const cli = profilesLine(lab, plan);
  out(`cluster installed in ${seconds(t0)}${cli ? '; to use it:' : ''}`);
  if (cli) out(cli);
  return 0;
}
