// The lab as operator actions: up, down, status, exec, start, stop, kill, partition, heal.
// Each action reads the state file, changes the host, and records what it changed before moving on.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { formatCidr } from './cidr.js';
import { LabError } from './errors.js';
import { ensurePackages, requireRoot } from './host.js';
import {
  bridgeLines,
  ipBatch,
  linkIsUp,
  linkNames,
  netnsInode,
  netnsLines,
  netnsNames,
  nodeAddressLines,
  refuseOverlap,
  runNetnsMounted,
  setLink,
} from './net.js';
import { bootNode, ensureHostMountpoints, killNode, nodePath, prepareNodeFs, stopNode } from './nodes.js';
import { compileOptions, type LabOptions } from './options.js';
import { isAlive } from './procs.js';
import { run, runOk } from './run.js';
import { type LabState, type NodeState, readState, stateFile, updateNode, writeState } from './state.js';
import { type LabNode, loadTopology } from './topology.js';
import { within } from './within.js';

export interface NodeStatus {
  name: string;
  ip: string;
  roles: string[];
  /** running: its init is alive; stopped: no init (stop, kill, or never started). */
  state: 'running' | 'stopped';
  /** cut: `partition` took its link down. */
  link: 'up' | 'cut' | 'missing';
  pid?: number;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

type Log = (msg: string) => void;

export class Lab {
  readonly opts: LabOptions;
  private readonly log: Log;

  constructor(raw: { stateDir?: string; subnet?: string; bridge?: string } = {}, log: Log = () => {}) {
    this.opts = compileOptions(raw);
    this.log = log;
  }

  get stateDir(): string {
    return this.opts.stateDir;
  }

  state(): LabState | undefined {
    return readState(this.stateDir);
  }

  requireState(): LabState {
    const s = this.state();
    if (!s) throw new LabError(`no lab is up in ${this.stateDir}`, { fix: 'run cfy_manager lab up' });
    return s;
  }

  node(name: string): { state: LabState; node: LabNode; ns: NodeState } {
    const state = this.requireState();
    const node = state.topology.nodes.find((n) => n.name === name);
    if (!node) {
      throw new LabError(`no node "${name}" in the lab`, {
        fix: `use one of: ${state.topology.nodes.map((n) => n.name).join(', ')}`,
      });
    }
    return { state, node, ns: state.nodes[name]! };
  }

  async up(topologyRef?: string): Promise<string> {
    requireRoot();
    const t0 = Date.now();
    let state = this.state();
    if (state) {
      this.checkResumable(state, topologyRef);
    } else {
      await ensurePackages(this.log);
      state = await this.fresh(topologyRef);
    }
    const s = state;
    const { subnet } = compileOptions({ stateDir: this.stateDir, subnet: s.subnet, bridge: s.bridge });
    s.created.hostDirs.push(...ensureHostMountpoints());
    writeState(this.stateDir, s);

    // Network: only what is missing, so a second `up` (or one after a crash) changes nothing else.
    const links = await linkNames();
    const spaces = await netnsNames();
    const lines = links.has(s.bridge) ? [] : bridgeLines(s.bridge, subnet);
    for (const n of s.topology.nodes) {
      const { netns, veth } = s.nodes[n.name]!;
      const [addNs, addVeth, attach] = netnsLines(netns, veth, s.bridge);
      if (!spaces.has(netns)) lines.push(addNs!);
      if (!links.has(veth)) lines.push(addVeth!);
      lines.push(attach!);
    }
    await ipBatch(lines);
    await Promise.all(
      s.topology.nodes.map((n) => ipBatch(nodeAddressLines(n.ip, subnet), s.nodes[n.name]!.netns)),
    );

    for (const n of s.topology.nodes) prepareNodeFs(this.stateDir, n, s.topology.nodes);
    const booted = await Promise.all(
      s.topology.nodes.map(async (n) => {
        const ns = s.nodes[n.name]!;
        if (isAlive(ns.init)) return 0;
        Object.assign(ns, await bootNode(this.stateDir, n.name, ns.netns));
        return 1;
      }),
    );
    s.phase = 'up';
    writeState(this.stateDir, s);
    const started = booted.reduce((a: number, b) => a + b, 0);
    return `lab ${s.topology.name} up: ${s.topology.nodes.length} nodes on ${s.bridge} ${s.subnet}, ${started} started, in ${Date.now() - t0} ms`;
  }

  /** A second `up` continues or confirms; it never builds over a lab that is half gone. */
  private checkResumable(state: LabState, topologyRef: string | undefined): void {
    if (state.phase === 'tearing-down') {
      throw new LabError(`the lab in ${this.stateDir} is half torn down (a down did not finish)`, {
        fix: 'run cfy_manager lab down, then lab up',
      });
    }
    if (topologyRef !== undefined) {
      const wanted = loadTopology(topologyRef, compileOptions({ subnet: state.subnet }).subnet);
      if (JSON.stringify(wanted.nodes) !== JSON.stringify(state.topology.nodes)) {
        throw new LabError(`a lab with topology ${state.topology.name} is already up in ${this.stateDir}`, {
          fix: 'run cfy_manager lab down first to change the topology',
        });
      }
    }
    if (state.phase === 'up') {
      const missing = this.missingResources(state);
      if (missing.length > 0) {
        throw new LabError(`the lab in ${this.stateDir} is half torn down: ${missing.join(', ')} missing`, {
          fix: 'run cfy_manager lab down, then lab up',
        });
      }
    }
  }

  private missingResources(state: LabState): string[] {
    const missing: string[] = [];
    if (!existsSync(`/sys/class/net/${state.bridge}`)) missing.push(`bridge ${state.bridge}`);
    for (const ns of Object.values(state.nodes)) {
      if (netnsInode(ns.netns) === undefined) missing.push(`netns ${ns.netns}`);
      if (!existsSync(`/sys/class/net/${ns.veth}`)) missing.push(`veth ${ns.veth}`);
    }
    return missing;
  }

  private async fresh(topologyRef: string | undefined): Promise<LabState> {
    const { subnet, bridge } = this.opts;
    const topology = loadTopology(topologyRef, subnet);
    // Refuse to adopt anything that already exists: the lab only ever removes what it created.
    const links = await linkNames();
    if (links.has(bridge)) {
      throw new LabError(`interface ${bridge} already exists and is not part of a lab in ${this.stateDir}`, {
        fix: 'choose another bridge name with --bridge, or --state-dir of the lab that owns it',
      });
    }
    const spaces = await netnsNames();
    const nodes: Record<string, NodeState> = {};
    topology.nodes.forEach((n, i) => {
      const ns = { netns: `${bridge}-${n.name}`, veth: `${bridge}v${i}` };
      if (spaces.has(ns.netns) || links.has(ns.veth)) {
        throw new LabError(`${ns.netns} or ${ns.veth} already exists on this host`, {
          fix: 'remove it or choose another bridge name with --bridge',
        });
      }
      nodes[n.name] = ns;
    });
    await refuseOverlap(subnet, bridge);
    const state: LabState = {
      version: 1,
      phase: 'creating',
      subnet: formatCidr(subnet),
      bridge,
      topology,
      nodes,
      created: {
        bridge: true,
        runNetnsMount: !runNetnsMounted(),
        runNetnsDir: !existsSync('/run/netns'),
        hostDirs: [],
        stateDir: !existsSync(this.stateDir),
      },
    };
    writeState(this.stateDir, state);
    return state;
  }

  async down(): Promise<string> {
    requireRoot();
    const t0 = Date.now();
    const s = this.state();
    if (!s) return `no lab in ${this.stateDir}: nothing to remove`;
    s.phase = 'tearing-down';
    writeState(this.stateDir, s);
    // Everything is about to be deleted, so no graceful stop: SIGKILL each node's PID namespace.
    await Promise.all(Object.values(s.nodes).map((ns) => killNode(ns.init, netnsInode(ns.netns))));
    const spaces = await netnsNames();
    await ipBatch(
      Object.values(s.nodes)
        .filter((ns) => spaces.has(ns.netns))
        .map((ns) => `netns del ${ns.netns}`),
    );
    // The veths die with their netns peer, asynchronously; remove any that linger.
    const gone = (names: string[]) => names.every((v) => !existsSync(`/sys/class/net/${v}`));
    const veths = Object.values(s.nodes).map((ns) => ns.veth);
    await within(3_000, () => gone(veths), Boolean, 'veths gone').catch(async () => {
      await ipBatch(veths.filter((v) => existsSync(`/sys/class/net/${v}`)).map((v) => `link del ${v}`));
    });
    if (s.created.bridge && existsSync(`/sys/class/net/${s.bridge}`))
      await runOk('ip', ['link', 'del', s.bridge]);
    const othersLeft = (await netnsNames()).size > 0;
    if (!othersLeft && s.created.runNetnsMount && runNetnsMounted()) await run('umount', ['/run/netns']);
    if (!othersLeft && s.created.runNetnsDir) tryRemove('/run/netns');
    // Mount points made on the host are removed only when no other lab could still be using them.
    const kept = othersLeft ? s.created.hostDirs : s.created.hostDirs.filter((p) => !tryRemove(p));
    this.removeStateDir(s);
    const note = kept.length ? `; kept host mount points still possibly in use: ${kept.join(' ')}` : '';
    return `lab down: removed ${Object.keys(s.nodes).length} nodes, ${s.bridge} and ${this.stateDir} in ${Date.now() - t0} ms${note}`;
  }

  private removeStateDir(s: LabState): void {
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[4] ?? '')
      .filter((m) => m.startsWith(`${this.stateDir}/`));
    if (mounts.length > 0) throw new LabError(`refusing to delete ${this.stateDir}: ${mounts[0]} is mounted`);
    rmSync(join(this.stateDir, 'nodes'), { recursive: true, force: true });
    rmSync(stateFile(this.stateDir), { force: true });
    if (s.created.stateDir && readdirSync(this.stateDir).length === 0) rmdirSync(this.stateDir);
  }

  async status(): Promise<NodeStatus[]> {
    const s = this.requireState();
    return Promise.all(
      s.topology.nodes.map(async (n) => {
        const ns = s.nodes[n.name]!;
        const running = isAlive(ns.init);
        const exists = existsSync(`/sys/class/net/${ns.veth}`);
        return {
          name: n.name,
          ip: n.ip,
          roles: n.roles,
          state: running ? 'running' : 'stopped',
          link: !exists ? 'missing' : (await linkIsUp(ns.veth)) ? 'up' : 'cut',
          ...(running ? { pid: ns.init!.pid } : {}),
        } satisfies NodeStatus;
      }),
    );
  }

  private nsenterArgs(name: string, cmd: string[]): string[] {
    const { ns } = this.node(name);
    if (!isAlive(ns.init)) {
      throw new LabError(`node ${name} is stopped`, { fix: `run cfy_manager lab start ${name}` });
    }
    return ['-t', String(ns.init!.pid), '-n', '-u', '-m', '-p', '--wd=/root', '--', ...cmd];
  }

  private nodeEnv(name: string): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HOME: '/root',
      HOSTNAME: name,
      USER: 'root',
      PATH: nodePath(),
    };
    for (const k of Object.keys(env)) if (k.startsWith('STRATUS_LAB_')) delete env[k];
    return env;
  }

  /** Run a command in a node with the caller's stdin, stdout and stderr; resolves to its exit code. */
  async execInteractive(name: string, cmd: string[]): Promise<number> {
    requireRoot();
    const args = this.nsenterArgs(name, cmd);
    return new Promise((resolve, reject) => {
      const child = spawn('nsenter', args, { stdio: 'inherit', env: this.nodeEnv(name) });
      child.on('error', reject);
      child.on('close', (code, sig) => resolve(code ?? (sig ? 128 + 9 : 1)));
    });
  }

  /** Run a command in a node and capture its output (what tests and `lab install` use). */
  async exec(
    name: string,
    cmd: string[],
    opts: { input?: string; timeoutMs?: number } = {},
  ): Promise<ExecResult> {
    requireRoot();
    return run('nsenter', this.nsenterArgs(name, cmd), { ...opts, env: this.nodeEnv(name) });
  }

  async start(name: string): Promise<string> {
    requireRoot();
    const { ns } = this.node(name);
    if (isAlive(ns.init)) return `${name} is already running`;
    await killNode(undefined, netnsInode(ns.netns)); // stragglers from an earlier life
    Object.assign(ns, await bootNode(this.stateDir, name, ns.netns));
    updateNode(this.stateDir, name, { init: ns.init, holder: ns.holder });
    return `${name} started (init pid ${ns.init!.pid})`;
  }

  async stop(name: string): Promise<string> {
    requireRoot();
    const { ns } = this.node(name);
    await stopNode(ns.init, netnsInode(ns.netns));
    return `${name} stopped`;
  }

  async kill(name: string): Promise<string> {
    requireRoot();
    const { ns } = this.node(name);
    await killNode(ns.init, netnsInode(ns.netns));
    return `${name} killed`;
  }

  async partition(name: string): Promise<string> {
    requireRoot();
    await setLink(this.node(name).ns.veth, false);
    return `${name} cut off the lab network`;
  }

  async heal(name: string): Promise<string> {
    requireRoot();
    await setLink(this.node(name).ns.veth, true);
    return `${name} back on the lab network`;
  }
}

/** Remove an empty directory or empty file the lab created; true when it is gone. */
function tryRemove(path: string): boolean {
  try {
    if (statSync(path).isDirectory()) rmdirSync(path);
    else if (statSync(path).size === 0) rmSync(path);
    else return false;
    return true;
  } catch {
    return !existsSync(path);
  }
}
