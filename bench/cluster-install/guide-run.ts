// The guide's whole best-practice cluster in the lab (3 DB nodes, 3 brokers, 3 managers, the load
// balancer): `lab install` from nothing, timed per node, then four failovers, each repeated, on that
// cluster:
// - a manager dies under a client looping on GET /api/v3.1/status through the LB: the longest gap;
// - the manager whose worker runs a 20-instance install dies: kill -> the next operation on another
//   manager (resume), and kill -> the install's end;
// - the DB leader dies during a 20-instance install: kill -> the first successful write through the LB
//   (a secret created every 100 ms), and kill -> the install's end;
// - a broker dies during a 20-instance install: kill -> the install's end.
// Records them in docs/benchmarks.md between the cluster-install-guide markers. Needs root.
// Run: npm run bench:cluster   (BENCH_FAILOVER_RUNS, default 5)
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { LAB_ADMIN_PASSWORD } from '../../src/lab/guide-config.js';
import { installSequence } from '../../src/lab/install.js';
import type { Lab } from '../../src/lab/lab.js';
import { fsRoot } from '../../src/lab/nodes.js';
import { startTestLab } from '../../src/lab/testing.js';
import { BUILTIN } from '../../src/lab/topology.js';
import { within } from '../../src/lab/within.js';
import type { Cfy } from '../../test/cli/helpers.js';
import { leaderOf } from '../../test/installer/lab-helpers.js';
import {
  cfyWithPassword,
  clusterStatusAt,
  finalStatus,
  loadAverage,
  probe,
  seenFailing,
  servingManager,
  statusLoop,
} from '../../test/lab/cluster-helpers.js';
import { BROKERS, DBS, firstOpAfter, MANAGERS, writeLoop } from '../../test/lab/chaos.js';
import { startTwentyInstall } from '../../test/lab/twenty.js';

const RUNS = Number(process.env.BENCH_FAILOVER_RUNS ?? 5);
const ADMIN = `admin:${LAB_ADMIN_PASSWORD}`;
const sec = (ms: number) => (ms / 1000).toFixed(1);
const log = (l: string) => process.stderr.write(`[bench:cluster] ${l}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (process.getuid?.() !== 0) {
  console.error('bench/cluster-install needs root (it uses the lab)');
  process.exit(1);
}

/** Kill -> cluster-status shows the node Fail (whatever the others show); undefined if not within 60 s. */
function failSeen(c: Ctx, type: string, name: string, killedAt: number): Promise<number | undefined> {
  const get = () => clusterStatusAt(c.ip('lb'), c.ca, ADMIN);
  return seenFailing(get, type, c.ip(name), killedAt, 60_000, true).catch(() => undefined);
}

interface Ctx {
  lab: Lab;
  ip: (n: string) => string;
  ca: Buffer;
  caPath: string;
  cfy: Cfy;
}

async function waitAnswering(c: Ctx, name: string): Promise<void> {
  await within(
    180_000,
    () => probe(`https://${c.ip(name)}/api/v3.1/status`, { ca: c.ca, auth: ADMIN }),
    (a) => a.status === 200,
    `${name} answering again`,
  );
}

async function lbGap(c: Ctx): Promise<number> {
  const url = `https://${c.ip('lb')}/api/v3.1/status`;
  const { name } = await servingManager(c.lab, MANAGERS, c.ip('lb'), () =>
    probe(url, { ca: c.ca, auth: ADMIN }),
  );
  const loop = statusLoop(url, c.ca, ADMIN);
  await sleep(1000);
  await c.lab.kill(name);
  await sleep(6000);
  const { longestGapMs } = await loop.stop();
  await c.lab.start(name);
  await waitAnswering(c, name);
  return longestGapMs;
}

async function managerDeath(
  c: Ctx,
  dep: string,
): Promise<{ resumeMs?: number; endMs: number; status: string; failMs?: number }> {
  const { id, worker } = await startTwentyInstall(c.lab, c.cfy, MANAGERS, dep);
  await c.lab.kill(worker);
  const killedAt = Date.now();
  const seen = failSeen(c, 'manager', worker, killedAt);
  const status = await finalStatus(c.cfy, id, 600_000);
  const endMs = Date.now() - killedAt;
  const next = await firstOpAfter(c.cfy, id, killedAt);
  const failMs = await seen;
  await c.lab.start(worker);
  await waitAnswering(c, worker);
  return { resumeMs: next && next - killedAt, endMs, status, failMs };
}

async function dbLeaderDeath(
  c: Ctx,
  dep: string,
): Promise<{ writeMs?: number; endMs: number; status: string; failMs?: number }> {
  const leaderIp = await leaderOf(c.lab, 'db1', DBS.map(c.ip));
  const leader = DBS.find((n) => c.ip(n) === leaderIp)!;
  const { id } = await startTwentyInstall(c.lab, c.cfy, MANAGERS, dep);
  const writes = writeLoop({ ip: c.ip, ca: c.ca, auth: ADMIN }, dep);
  await sleep(500);
  const killedAt = Date.now();
  await c.lab.kill(leader);
  writes.arm();
  const seen = failSeen(c, 'db', leader, killedAt);
  const status = await finalStatus(c.cfy, id, 600_000);
  const endMs = Date.now() - killedAt;
  await writes.stop();
  const firstWrite = writes.firstOk();
  const failMs = await seen;
  await c.lab.start(leader);
  return { writeMs: firstWrite && firstWrite - killedAt, endMs, status, failMs };
}

async function brokerDeath(
  c: Ctx,
  dep: string,
  broker: string,
): Promise<{ endMs: number; status: string; failMs?: number }> {
  const { id } = await startTwentyInstall(c.lab, c.cfy, MANAGERS, dep);
  await c.lab.kill(broker);
  const killedAt = Date.now();
  const seen = failSeen(c, 'broker', broker, killedAt);
  const status = await finalStatus(c.cfy, id, 600_000);
  const endMs = Date.now() - killedAt;
  const failMs = await seen;
  await c.lab.start(broker);
  return { endMs, status, failMs };
}

const t0 = performance.now();
const t = await startTestLab(BUILTIN['best-practice']!);
const labUpMs = performance.now() - t0;
const rows: string[] = [];
const nodeLines: string[] = [];
let installMs = 0;
try {
  const t1 = performance.now();
  const code = await installSequence(t.lab, (l) => {
    log(l);
    if (/^\[[\w-]+\] .* installed in /.test(l)) nodeLines.push(l);
  });
  installMs = performance.now() - t1;
  if (code !== 0) throw new Error('lab install failed');
  log(`installed in ${sec(installMs)} s (load ${loadAverage()})`);
  const caPath = join(fsRoot(t.lab.stateDir, 'lb'), 'root/.cloudify-test-ca/ca.crt');
  const ip = (n: string) => t.lab.node(n).node.ip;
  const cfy = cfyWithPassword(LAB_ADMIN_PASSWORD);
  const use = await cfy([
    'profiles',
    'use',
    ip('lb'),
    '-u',
    'admin',
    '-t',
    'default_tenant',
    '--ssl',
    '-c',
    caPath,
  ]);
  if (use.code !== 0) throw new Error(`cfy profiles use: ${use.stderr}`);
  const c: Ctx = { lab: t.lab, ip, ca: readFileSync(caPath), caPath, cfy };
  for (let run = 1; run <= RUNS; run++) {
    const gap = await lbGap(c);
    const m = await managerDeath(c, `m${run}`);
    const d = await dbLeaderDeath(c, `d${run}`);
    const b = await brokerDeath(c, `b${run}`, BROKERS[(run - 1) % 3]!);
    const opt = (ms?: number) => (ms === undefined ? '-' : sec(ms));
    const row = `| ${run} | ${sec(gap)} | ${opt(m.resumeMs)} / ${sec(m.endMs)} (${m.status}) | ${opt(d.writeMs)} / ${sec(d.endMs)} (${d.status}) | ${sec(b.endMs)} (${b.status}) | ${opt(m.failMs)} / ${opt(d.failMs)} / ${opt(b.failMs)} | ${loadAverage()} |`;
    log(row);
    rows.push(row);
  }
  cfy.cleanup();
} finally {
  await t.down();
}

const section = [
  '<!-- cluster-install-guide:start -->',
  "## The guide's whole cluster: install and failovers (`bench/cluster-install/guide-run.ts`)",
  '',
  `One lab of 10 nodes on ${cpus().length} cores (Debian packages present): lab up ${sec(labUpMs)} s, then`,
  `\`lab install\` of the whole best-practice cluster from nothing (one CA, every node's certificate and`,
  `config.yaml, then the DB nodes, brokers, managers one after the other, and the LB) in **${sec(installMs)} s**`,
  '(goal 300 s). Per node, as `lab install` printed it:',
  '',
  ...nodeLines.map((l) => `    ${l}`),
  '',
  `Then ${RUNS} rounds of failovers on that cluster. "LB gap": a manager killed under a client looping on`,
  '`GET /api/v3.1/status` through the LB, the longest time between two answers (goal 5 s). "Manager death":',
  'the manager running a 20-instance install (3 operations each, `sleep 3`) is killed; kill -> the next',
  'operation on another manager / kill -> the end of the install. "DB leader death": the Patroni leader is',
  'killed during such an install while a client creates a secret through the LB every 100 ms; kill -> the',
  'first successful write (goal 15 s) / kill -> the end. "Broker death": one broker killed during such an',
  'install; kill -> the end. "Fail seen": kill -> `GET /cluster-status` through the LB shows the killed node',
  '`Fail`, whatever the other nodes show (goal 15 s; "-": not within 60 s). Seconds; the load average after each round.',
  '',
  '| run | LB gap | manager death: resume / end | DB leader death: first write / end | broker death: end | Fail seen: manager / db / broker | load average |',
  '|---|---|---|---|---|---|---|',
  ...rows,
  '<!-- cluster-install-guide:end -->',
].join('\n');
const doc = join(import.meta.dirname, '../../docs/benchmarks.md');
const text = existsSync(doc) ? readFileSync(doc, 'utf8') : '# Benchmarks\n';
const re = /<!-- cluster-install-guide:start -->[\s\S]*<!-- cluster-install-guide:end -->/;
writeFileSync(doc, re.test(text) ? text.replace(re, section) : `${text.trimEnd()}\n\n${section}\n`);
log('docs/benchmarks.md updated');
