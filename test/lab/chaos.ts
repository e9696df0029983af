// The chaos cases on the guide's cluster: during an install of 20 instances, one fault at a time (the
// manager running it killed, the DB leader killed, the broker the managers use killed, the load balancer
// killed, the DB leader cut off the network and back), then the checks that nothing was lost or done
// twice: the execution terminated, every instance started, each operation succeeded once and ran once
// (twice only if it ended just before its worker was killed), and every event of a fault-free install is
// there. test/lab/guide-cluster.test.ts runs each case once;
// bench/chaos runs them in rounds and records the recovery times.
import assert from 'node:assert/strict';
import type { Lab } from '../../src/lab/lab.js';
import { within } from '../../src/lab/within.js';
import { type Cfy, json } from '../cli/helpers.js';
import { leaderOf, settled } from '../installer/lab-helpers.js';
import {
  type CfyEvent,
  clusterStatusAt,
  eventsOf,
  eventTime,
  finalStatus,
  operationCounts,
  probe,
} from './cluster-helpers.js';
import { startTwentyInstall, TWENTY } from './twenty.js';

export const FAULTS = ['manager', 'db-leader', 'broker', 'lb', 'db-partition'] as const;
export type Fault = (typeof FAULTS)[number];
export const MANAGERS = ['manager1', 'manager2', 'manager3'];
export const DBS = ['db1', 'db2', 'db3'];
export const BROKERS = ['queue1', 'queue2', 'queue3'];

/** The installed cluster as the cases use it. */
export interface Cluster {
  lab: Lab;
  ip: (name: string) => string;
  ca: Buffer;
  /** "admin:<password>", for plain HTTPS probes. */
  auth: string;
  /** `cfy` through the load balancer. */
  viaLb: Cfy;
  /** `cfy` against manager1 directly, for the case that kills the load balancer. */
  direct: Cfy;
}

export interface Outcome {
  fault: Fault;
  victim: string;
  status: string;
  /**
   * Fault -> service again: the next operation run after the kill (manager, broker), the first write
   * through the LB (db-leader, db-partition), or `lab start` -> the LB answering (lb).
   */
  recoveryMs?: number;
  /** Fault -> the execution's end. */
  endMs: number;
  /** Back to full strength: `lab start` or `heal` -> the node serving in the cluster again. */
  restoredMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The first script log line ("ran <op>") stamped after `t`, by any manager. */
export async function firstOpAfter(cfy: Cfy, id: string, t: number): Promise<number | undefined> {
  const times = (await eventsOf(cfy, id))
    .filter((e) => /^ran \w+$/.test(e.message ?? ''))
    .map(eventTime)
    .filter((x) => x > t);
  return times.length ? Math.min(...times) : undefined;
}

/**
 * A secret created through the LB every 100 ms; `firstOk()` is when the first one sent after `arm()`
 * succeeded (armed once the fault is in place, so a write that beat the fault does not count).
 */
export function writeLoop(c: Pick<Cluster, 'ip' | 'ca' | 'auth'>, prefix: string) {
  let running = true;
  let since = 0;
  let firstOk: number | undefined;
  const done = (async () => {
    for (let i = 0; running; i++) {
      const sent = Date.now();
      const a = await probe(`https://${c.ip('lb')}/api/v3.1/secrets/${prefix}-${i}`, {
        ca: c.ca,
        auth: c.auth,
        method: 'PUT',
        body: JSON.stringify({ value: 'x' }),
        timeoutMs: 2000,
      });
      if (since && sent >= since && firstOk === undefined && a.status && a.status < 300) firstOk = Date.now();
      await sleep(100);
    }
  })();
  return {
    arm: () => {
      since = Date.now();
    },
    firstOk: () => firstOk,
    stop: async () => {
      running = false;
      await done;
    },
  };
}

/** The broker the managers are connected to: the one with the most established AMQP connections. */
async function brokerInUse(c: Cluster): Promise<string> {
  const counts = await Promise.all(
    BROKERS.map(async (b) => {
      const r = await c.lab.exec(b, ['ss', '-Htn', 'state', 'established', '( sport = :5671 )']);
      return r.stdout.split('\n').filter(Boolean).length;
    }),
  );
  return BROKERS[counts.indexOf(Math.max(...counts))]!;
}

async function dbLeader(c: Cluster): Promise<string> {
  const leader = await within(30_000, () => leaderOf(c.lab, 'db1', DBS.map(c.ip)), Boolean, 'a DB leader');
  return DBS.find((n) => c.ip(n) === leader)!;
}

/**
 * Waits until the DB cluster has one leader, a sync standby, and all three members running on the
 * leader's timeline, as a member other than `victim` sees it (a healed member's own view may be stale).
 */
async function dbSettled(c: Cluster, victim: string, ms = 180_000): Promise<void> {
  const via = DBS.find((n) => n !== victim)!;
  await within(ms, () => settled(c.lab, via, DBS.map(c.ip)), Boolean, 'the DB cluster settled');
}

async function answering(c: Cluster, host: string): Promise<void> {
  await within(
    180_000,
    () => probe(`https://${c.ip(host)}/api/v3.1/status`, { ca: c.ca, auth: c.auth }),
    (a) => a.status === 200,
    `${host} answering`,
  );
}

/** Brings the victim back and waits until it serves again; the milliseconds that took. */
async function restore(c: Cluster, fault: Fault, node: string): Promise<number> {
  const t0 = Date.now();
  if (fault === 'db-partition') await c.lab.heal(node);
  else await c.lab.start(node);
  if (fault === 'manager' || fault === 'lb') await answering(c, node);
  if (fault === 'db-leader' || fault === 'db-partition') await dbSettled(c, node);
  if (fault === 'broker')
    await within(
      180_000,
      () => clusterStatusAt(c.ip('lb'), c.ca, c.auth),
      (r) => r.services?.broker?.status === 'OK',
      'the brokers OK again',
    );
  return Date.now() - t0;
}

async function victimOf(c: Cluster, fault: Fault): Promise<string> {
  if (fault === 'db-leader' || fault === 'db-partition') return dbLeader(c);
  if (fault === 'broker') return brokerInUse(c);
  return fault === 'lb' ? 'lb' : '';
}

/**
 * One chaos case: a fresh 20-instance install on deployment `dep`, the fault, the recovery, and every
 * check. Throws (an assertion) when the execution did not terminate or something was lost or done twice.
 * The victim is brought back whatever happens, so that the next case finds the whole cluster.
 */
export async function chaosCase(c: Cluster, fault: Fault, dep: string, expected: Expected): Promise<Outcome> {
  const cfy = fault === 'lb' ? c.direct : c.viaLb;
  const victim = await victimOf(c, fault);
  const writes = fault.startsWith('db-') ? writeLoop(c, dep) : undefined;
  try {
    const run = await startTwentyInstall(c.lab, cfy, MANAGERS, dep);
    const killed = fault === 'manager' ? run.worker : victim;
    const at = Date.now();
    if (fault === 'db-partition') await c.lab.partition(killed);
    else await c.lab.kill(killed);
    writes?.arm();
    let restoredMs: number | undefined;
    let status = 'unknown';
    let endMs = 0;
    try {
      if (fault === 'lb') {
        // The install runs on without the LB (the workers use the database and brokers directly).
        await sleep(5000);
        restoredMs = await restore(c, fault, killed);
      }
      if (fault === 'db-partition') {
        // Cut off until the majority writes again, and a little longer; then back on the network.
        await within(120_000, () => writes!.firstOk(), Boolean, 'a write on the new DB leader');
        await sleep(5000);
        restoredMs = await restore(c, fault, killed);
      }
      status = await finalStatus(cfy, run.id, 600_000);
      endMs = Date.now() - at;
      await run.following;
    } finally {
      restoredMs ??= await restore(c, fault, killed);
    }
    let recoveryMs: number | undefined = fault === 'lb' ? restoredMs : undefined;
    if (writes) recoveryMs = writes.firstOk() === undefined ? undefined : writes.firstOk()! - at;
    if (fault === 'manager' || fault === 'broker') {
      const next = await firstOpAfter(cfy, run.id, at);
      recoveryMs = next === undefined ? undefined : next - at;
    }
    assert.equal(status, 'completed', `${fault}: the install of ${dep} ended ${status}`);
    await nothingLost(cfy, dep, run.id, expected, fault === 'manager' ? at : undefined);
    return { fault, victim: killed, status, recoveryMs, endMs, restoredMs };
  } finally {
    await writes?.stop();
  }
}

/** What a fault-free install of the twenty blueprint emits: per instance, and for the workflow. */
export interface Expected {
  perInstance: Map<string, number>;
  workflow: Set<string>;
}

/** An event without the names that differ between runs (instance ids, the deployment). */
function eventKey(e: CfyEvent, dep: string): string {
  const text = (e.message ?? '')
    .replace(/\bvm_[a-z0-9]+\b/g, 'vm_*')
    .split(dep)
    .join('<dep>');
  return [e.type, e.event_type ?? '', e.operation ?? '', text].join('|');
}

function byInstance(events: CfyEvent[], dep: string) {
  const perInstance = new Map<string, Map<string, number>>();
  const workflow = new Set<string>();
  for (const e of events) {
    const key = eventKey(e, dep);
    if (!e.node_instance_id) {
      workflow.add(key);
      continue;
    }
    const m = perInstance.get(e.node_instance_id) ?? new Map<string, number>();
    m.set(key, (m.get(key) ?? 0) + 1);
    perInstance.set(e.node_instance_id, m);
  }
  return { perInstance, workflow };
}

/**
 * Installs the twenty blueprint with no fault, one instance and no sleeps, and records its events as the
 * expected ones: for the workflow, and for every instance (an instance's events do not depend on how many
 * there are).
 */
export async function expectedEvents(cfy: Cfy, dep: string): Promise<Expected> {
  for (const args of [
    ['blueprints', 'upload', TWENTY, '-b', dep],
    ['deployments', 'create', dep, '-b', dep, '-i', 'seconds=0', '-i', 'instances=1'],
    ['executions', 'start', 'install', '-d', dep, '--timeout', '600'],
  ]) {
    const r = await cfy(args);
    assert.equal(r.code, 0, `cfy ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  }
  const execs = json<{ id: string; workflow_id: string }[]>(
    await cfy(['executions', 'list', '-d', dep, '--json']),
  );
  const id = execs.find((e) => e.workflow_id === 'install')!.id;
  const { perInstance, workflow } = byInstance(await eventsOf(cfy, id), dep);
  assert.equal(perInstance.size, 1, 'the fault-free install has events for its one instance');
  return { perInstance: [...perInstance.values()][0]!, workflow };
}

/** How long before its worker was killed an operation may have run to its end and still run again. */
const CRASH_WINDOW_MS = 5000;

/**
 * Every instance started; each operation had one task_succeeded and its script ran to the end once; no
 * expected event is missing. With `killedAt` (the worker running the install was killed then), an
 * operation may have run to its end twice if the first run ended just before the kill, before its
 * success was stored: operations are at least once, as in Cloudify, and it is run again on resume.
 */
export async function nothingLost(
  cfy: Cfy,
  dep: string,
  id: string,
  expected: Expected,
  killedAt?: number,
): Promise<void> {
  const instances = json<{ id: string; state: string }[]>(
    await cfy(['node-instances', 'list', '-d', dep, '--json']),
  );
  assert.equal(instances.length, 20, `${dep}: 20 instances`);
  const notStarted = instances.filter((i) => i.state !== 'started').map((i) => `${i.id} ${i.state}`);
  assert.deepEqual(notStarted, [], `${dep}: every instance started`);
  const events = await eventsOf(cfy, id);
  const { ran, succeeded } = operationCounts(events);
  assert.equal(ran.size, 60, `${dep}: every create, configure and start of the 20 instances ran`);
  const inFlight = (t: number) =>
    killedAt !== undefined && t >= killedAt - CRASH_WINDOW_MS && t <= killedAt + 1000;
  const twice = [...ran]
    .filter(([, at]) => at.length > 2 || (at.length === 2 && !inFlight(Math.min(...at))))
    .map(([k, at]) => `${k} ran ${at.length} times`);
  assert.deepEqual(twice, [], `${dep}: no operation ran twice (but one its killed worker had just finished)`);
  assert.equal(succeeded.size, 60, `${dep}: a task_succeeded for every operation`);
  const twiceOk = [...succeeded].filter(([, n]) => n !== 1).map(([k, n]) => `${k}: ${n} task_succeeded`);
  assert.deepEqual(twiceOk, [], `${dep}: one task_succeeded per operation`);
  const byInst = byInstance(events, dep);
  const missing: string[] = [];
  for (const k of expected.workflow) if (!byInst.workflow.has(k)) missing.push(`workflow: ${k}`);
  for (const inst of instances) {
    const got = byInst.perInstance.get(inst.id) ?? new Map<string, number>();
    for (const [k, n] of expected.perInstance)
      if ((got.get(k) ?? 0) < n) missing.push(`${inst.id}: ${k} (${got.get(k) ?? 0} of ${n})`);
  }
  assert.deepEqual(missing, [], `${dep}: no event of a fault-free install is missing`);
}
