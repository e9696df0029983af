// What the guide-cluster suite does from the host: HTTP(S) probes with the test CA, `cfy` with its own
// profile per target, a status loop that measures the longest gap, and the measurements it prints.
import { execFileSync } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Lab } from '../../src/lab/lab.js';
import { within } from '../../src/lab/within.js';
import { type Cfy, makeCfy } from '../cli/helpers.js';

export interface Answer {
  status?: number;
  body?: string;
  error?: string;
}

/** One request on a fresh connection; never throws (a refused, reset or unverified connection is `error`). */
export function probe(
  url: string,
  o: { ca?: Buffer; auth?: string; timeoutMs?: number; method?: string; body?: string } = {},
): Promise<Answer> {
  const u = new URL(url);
  const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
  const headers: Record<string, string> = o.auth
    ? { authorization: `Basic ${Buffer.from(o.auth).toString('base64')}`, tenant: 'default_tenant' }
    : {};
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  return new Promise((resolve) => {
    const req = send(
      u,
      {
        method: o.method ?? 'GET',
        agent: false,
        headers,
        timeout: o.timeoutMs ?? 3000,
        ...(u.protocol === 'https:' ? { ca: o.ca } : {}),
      },
      (res) => {
        let body = '';
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode!, body }));
        res.on('error', (e) => resolve({ error: e.message }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ error: (e as NodeJS.ErrnoException).code ?? e.message }));
    req.end(o.body);
  });
}

export interface GapLoop {
  /** Stops the loop; the longest time between two answers 200, and how many requests were made. */
  stop(): Promise<{ longestGapMs: number; requests: number; ok: number }>;
}

/** GET the URL on fresh connections back to back (1 s timeout each), recording when each 200 came. */
export function statusLoop(url: string, ca: Buffer, auth: string): GapLoop {
  let running = true;
  const okAt: number[] = [Date.now()];
  let requests = 0;
  const done = (async () => {
    while (running) {
      requests++;
      const a = await probe(url, { ca, auth, timeoutMs: 1000 });
      if (a.status === 200) okAt.push(Date.now());
      else await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
      okAt.push(Date.now());
      let longest = 0;
      for (let i = 1; i < okAt.length; i++) longest = Math.max(longest, okAt[i]! - okAt[i - 1]!);
      return { longestGapMs: longest, requests, ok: okAt.length - 2 };
    },
  };
}

/**
 * The manager that serves this host through the load balancer (the LB sticks on the client address):
 * the one with the most connections from the LB on 443 while `load` runs, sampled a few times.
 */
export async function servingManager(
  lab: Lab,
  managers: string[],
  lbIp: string,
  load: () => Promise<unknown>,
): Promise<{ name: string; counts: Record<string, number> }> {
  const counts: Record<string, number> = Object.fromEntries(managers.map((m) => [m, 0]));
  for (let i = 0; i < 8; i++) {
    await load();
    for (const m of managers) {
      const r = await lab.exec(m, ['ss', '-Htn', 'state', 'established', `( sport = :443 and dst ${lbIp} )`]);
      counts[m]! += r.stdout.split('\n').filter(Boolean).length;
    }
  }
  const name = managers.reduce((a, b) => (counts[b]! > counts[a]! ? b : a));
  return { name, counts };
}

/** `cfy` with its own profile dir, the password from the environment (never in argv). */
export function cfyWithPassword(password: string): Cfy {
  const cfy = makeCfy();
  const run = (args: string[], o: { env?: Record<string, string | undefined>; cwd?: string } = {}) =>
    cfy(args, { ...o, env: { CLOUDIFY_PASSWORD: password, ...o.env } });
  return Object.assign(run, { workdir: cfy.workdir, cleanup: cfy.cleanup });
}

/** Measured times, printed once at the end with the load average. */
export class Measurements {
  private readonly lines: string[] = [];
  note(line: string): void {
    this.lines.push(`${line} (load ${loadAverage()})`);
  }
  print(): void {
    for (const l of this.lines) process.stdout.write(`${l}\n`);
  }
}

export function loadAverage(): string {
  return execFileSync('uptime', { encoding: 'utf8' }).split('load average:')[1]?.trim() ?? '?';
}

export interface CfyEvent {
  event_type?: string;
  message?: string;
  node_instance_id?: string | null;
  operation?: string | null;
  type?: string;
  timestamp?: string;
  reported_timestamp?: string;
}

/** An event's time in ms: ISO, UTC when no zone is given. */
export function eventTime(e: CfyEvent): number {
  const s = e.reported_timestamp ?? e.timestamp ?? '';
  return Date.parse(/Z$|[+-]\d\d:?\d\d$/.test(s) ? s : `${s.replace(' ', 'T')}Z`);
}

/** The events of an execution (`cfy events list ID --json`: one JSON document per line). */
export async function eventsOf(cfy: Cfy, executionId: string): Promise<CfyEvent[]> {
  const r = await cfy(['events', 'list', executionId, '--json']);
  if (r.code !== 0) throw new Error(`cfy events list ${executionId}: ${r.stderr}`);
  return r.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as CfyEvent);
}

/**
 * Per instance and operation ("vm_x.create"): when the script's own "ran <op>" log lines came (one per
 * run to the end), and how many task_succeeded events there were.
 */
export function operationCounts(events: CfyEvent[]): {
  ran: Map<string, number[]>;
  succeeded: Map<string, number>;
} {
  const ran = new Map<string, number[]>();
  const succeeded = new Map<string, number>();
  for (const e of events) {
    const op = (e.operation ?? '').split('.').pop();
    const ranOp = /^ran (\w+)$/.exec(e.message ?? '')?.[1];
    if (ranOp) {
      const k = `${e.node_instance_id}.${ranOp}`;
      ran.set(k, [...(ran.get(k) ?? []), eventTime(e)]);
    }
    if (e.event_type === 'task_succeeded') {
      const k = `${e.node_instance_id}.${op}`;
      succeeded.set(k, (succeeded.get(k) ?? 0) + 1);
    }
  }
  return { ran, succeeded };
}

/** The execution's status as `cfy` shows it (`completed` for terminated), asked until it is final or the time is up. */
export async function finalStatus(cfy: Cfy, executionId: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let status = 'unknown';
  while (Date.now() < deadline) {
    const r = await cfy(['executions', 'get', executionId, '--json']);
    if (r.code === 0) status = (JSON.parse(r.stdout) as { status: string }).status;
    if (['completed', 'terminated', 'failed', 'cancelled'].includes(status)) return status;
    await new Promise((res) => setTimeout(res, 1000));
  }
  return status;
}

/** GET /cluster-status at `host` (the LB: any manager answers), parsed; a failed call is `{status: 'HTTP …'}`. */
export async function clusterStatusAt(host: string, ca: Buffer, auth: string, query = ''): Promise<any> {
  const a = await probe(`https://${host}/api/v3.1/cluster-status${query}`, { ca, auth, timeoutMs: 6000 });
  return a.status === 200 || a.status === 500
    ? JSON.parse(a.body!)
    : { status: `HTTP ${a.status ?? a.error}` };
}

/**
 * Resolves with the milliseconds from `since` until `get` shows `type` Degraded with exactly the node at
 * `deadIp` Fail (`nodeOnly`: until that node shows Fail, whatever the others); rejects after `ms`.
 */
export async function seenFailing(
  get: () => Promise<any>,
  type: string,
  deadIp: string,
  since: number,
  ms: number,
  nodeOnly = false,
): Promise<number> {
  const failing = (r: any) =>
    Object.values((r.services?.[type]?.nodes ?? {}) as Record<string, { status: string; private_ip: string }>)
      .filter((n) => n.status === 'Fail')
      .map((n) => n.private_ip);
  await within(
    ms,
    get,
    (r) =>
      nodeOnly
        ? failing(r).includes(deadIp)
        : r.services?.[type]?.status === 'Degraded' && failing(r).join() === deadIp,
    nodeOnly ? `cluster-status: ${deadIp} Fail` : `cluster-status: ${type} Degraded with ${deadIp} Fail`,
  );
  return Date.now() - since;
}
