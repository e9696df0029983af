// load_balancer_service (a Stratus addition): HAProxy 2.6 in master-worker mode as the supervisord
// program `haproxy`, in front of the managers of load_balancer.managers. configure renders the files,
// has HAProxy check them before anything is replaced, then starts the program or, when it already runs,
// reloads it with SIGUSR2: the new worker takes the listeners and the old one finishes its connections.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkCertTriple } from '../../config/validate.js';
import { ValidationError } from '../../errors.js';
import { run } from '../../exec.js';
import { Logger } from '../../log.js';
import * as supervisor from '../../services/supervisor.js';
import type { Component, ComponentContext } from '../types.js';
import {
  CONF_DIR,
  LOG_DIR,
  type LbLayout,
  type LoadBalancerConfig,
  PRODUCTION_LAYOUT,
  RUN_DIR,
  renderHaproxyConfig,
  sectionProblems,
} from './render.js';
import { runtimeCommand, serverStats } from './runtime.js';

const log = new Logger('loadbalancer');

export const PROGRAM = 'haproxy';
export const HAPROXY = '/usr/sbin/haproxy';
const CONF_FILE = `${CONF_DIR}/haproxy.cfg`;
const MASTER_SOCKET = `${RUN_DIR}/master.sock`;
const PROGRAM_FILE = supervisor.programFile(PROGRAM);

/** The section's own checks, then the certificate: readable, the key matches, signed by the CA. */
export async function validateLoadBalancer(config: ComponentContext['config']): Promise<void> {
  if (config.services_to_install.includes('manager_service')) {
    throw new ValidationError(
      'load_balancer_service cannot share a node with manager_service (both serve ports 443 and 53333): install the load balancer on its own node',
    );
  }
  const problems = sectionProblems(config.load_balancer);
  if (problems.length === 1) throw new ValidationError(problems[0]!);
  if (problems.length > 1) {
    throw new ValidationError(`Problems in the load_balancer section:\n${problems.join('\n')}`);
  }
  const lb = config.load_balancer;
  await checkCertTriple(lb.cert_path, lb.key_path, lb.ca_path);
}

/** cert.pem (cert + key), ca.crt and haproxy.cfg for a layout. */
function renderFiles(lb: LoadBalancerConfig, layout: LbLayout): Map<string, { text: string; mode: number }> {
  const cert = readFileSync(lb.cert_path, 'utf8');
  const key = readFileSync(lb.key_path, 'utf8');
  const nl = (s: string) => (s.endsWith('\n') ? s : `${s}\n`);
  return new Map([
    [layout.certPem, { text: nl(cert) + nl(key), mode: 0o400 }],
    [layout.caFile, { text: nl(readFileSync(lb.ca_path, 'utf8')), mode: 0o444 }],
  ]);
}

/** `haproxy -c` on a config; a refusal becomes one line with HAProxy's first alert. */
async function checkConfig(cfgFile: string): Promise<void> {
  const r = await run([HAPROXY, '-c', '-f', cfgFile], { ignoreFailure: true });
  if (r.code !== 0) {
    const alert =
      `${r.stderr}\n${r.stdout}`
        .split('\n')
        .find((l) => /ALERT/.test(l))
        ?.replace(/^\[ALERT\]\s*\(\d+\)\s*:\s*(config\s*:\s*)?(\[[^\]]*\]\s*:\s*)?/, '')
        .trim() ?? `exit ${r.code}`;
    throw new ValidationError(
      `HAProxy refused the load balancer configuration (${alert}): check the load_balancer section in /etc/cloudify/config.yaml`,
    );
  }
}

/**
 * Writes the files of `layout` after HAProxy accepted them: each is staged as `<file>.new`, checked with
 * a config that points at the staged files, and only then renamed into place.
 */
export async function writeChecked(lb: LoadBalancerConfig, layout: LbLayout, cfgFile: string): Promise<void> {
  const staged: LbLayout = { ...layout, certPem: `${layout.certPem}.new`, caFile: `${layout.caFile}.new` };
  const files = renderFiles(lb, staged);
  files.set(`${cfgFile}.new`, { text: renderHaproxyConfig(lb, staged), mode: 0o600 });
  try {
    for (const [path, f] of files) {
      rmSync(path, { force: true });
      writeFileSync(path, f.text, { mode: f.mode });
      chmodSync(path, f.mode);
    }
    await checkConfig(`${cfgFile}.new`);
  } catch (err) {
    for (const path of files.keys()) rmSync(path, { force: true });
    throw err;
  } finally {
    rmSync(`${cfgFile}.new`, { force: true });
  }
  renameSync(staged.certPem, layout.certPem);
  renameSync(staged.caFile, layout.caFile);
  writeFileSync(`${cfgFile}.tmp`, renderHaproxyConfig(lb, layout), { mode: 0o640 });
  renameSync(`${cfgFile}.tmp`, cfgFile);
}

/** The PIDs of the workers (current and old ones still finishing), from the master CLI's `show proc`. */
async function workerPids(masterSocket: string): Promise<number[]> {
  const out = await runtimeCommand(masterSocket, 'show proc');
  return [...out.matchAll(/^(\d+)\s+worker\b/gm)].map((m) => Number(m[1]));
}

/**
 * A graceful reload: `signal` sends SIGUSR2 to the master, which starts new workers on the new files
 * and lets the old ones finish their connections. Confirmed when a new worker is there (the old one
 * may live on for as long as its connections last).
 */
export async function reloadAndConfirm(
  masterSocket: string,
  signal: () => Promise<void>,
  timeoutMs = 15_000,
): Promise<void> {
  const before = new Set(await workerPids(masterSocket));
  await signal();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    const now = await workerPids(masterSocket).catch(() => [] as number[]);
    if (now.some((p) => !before.has(p))) return;
  }
  throw new ValidationError(
    `HAProxy did not take the new configuration within ${timeoutMs / 1000} s: see ${LOG_DIR}/haproxy.log`,
  );
}

/** The stats socket answers; logs each manager's state as HAProxy sees it. */
async function reportServers(socket: string): Promise<void> {
  for (let i = 0; i < 50; i++) {
    try {
      const stats = (await serverStats(socket)).filter((s) => s.backend === 'managers');
      for (const s of stats)
        log.info(`Manager ${s.server}: ${s.status} (${s.checkStatus || 'not checked yet'})`);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new ValidationError(`HAProxy is not answering on ${socket}: see ${LOG_DIR}/haproxy.log`);
}

function writeProgram(): boolean {
  const before = existsSync(PROGRAM_FILE) ? readFileSync(PROGRAM_FILE, 'utf8') : '';
  supervisor.writeProgram({
    name: PROGRAM,
    command: `${HAPROXY} -W -db -S ${MASTER_SOCKET},mode,600 -f ${CONF_FILE}`,
    stopsignal: 'TERM',
    stopwaitsecs: 30,
    logFile: join(LOG_DIR, 'haproxy.log'),
  });
  return readFileSync(PROGRAM_FILE, 'utf8') !== before;
}

async function configureLoadBalancer(ctx: ComponentContext): Promise<void> {
  const lb = ctx.config.load_balancer;
  log.info(`Configuring HAProxy for ${Object.keys(lb.managers).join(', ')}...`);
  mkdirSync(CONF_DIR, { recursive: true, mode: 0o750 });
  mkdirSync(RUN_DIR, { recursive: true, mode: 0o750 });
  await writeChecked(lb, PRODUCTION_LAYOUT, CONF_FILE);
  const changed = writeProgram();
  if (!changed && (await supervisor.isActive(PROGRAM))) {
    log.info('Reloading HAProxy (the running connections are kept)...');
    await reloadAndConfirm(MASTER_SOCKET, () => supervisor.signal(PROGRAM, 'USR2'));
  } else {
    log.info('Starting HAProxy...');
    await supervisor.start(PROGRAM);
  }
  await reportServers(PRODUCTION_LAYOUT.statsSocket);
  log.info('HAProxy configured.');
}

export const loadBalancer: Component = {
  name: 'loadbalancer',
  service: 'load_balancer_service',
  packages: () => [{ name: 'haproxy', version: '2.6.' }],
  validate: (ctx) => validateLoadBalancer(ctx.config),
  configure: (ctx) => configureLoadBalancer(ctx),
  async start() {
    log.info('Starting HAProxy...');
    await supervisor.restart(PROGRAM);
    await reportServers(PRODUCTION_LAYOUT.statsSocket);
  },
  async stop() {
    log.info('Stopping HAProxy...');
    await supervisor.stop(PROGRAM);
  },
  async remove() {
    log.info('Removing HAProxy...');
    await supervisor.removeProgram(PROGRAM);
    rmSync(CONF_DIR, { recursive: true, force: true });
    rmSync(RUN_DIR, { recursive: true, force: true });
  },
};
