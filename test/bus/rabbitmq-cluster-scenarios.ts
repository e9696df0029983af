// The RabbitMQ bus on the guide's 3-broker cluster, on the shared lab of
// test/installer/queue-cluster-lab.test.ts (generate-test-cert certificates, the guide's config.yaml,
// TLS-only 5671), once the queue_service scenarios have run and left the three brokers running: one URL
// names the three brokers and the CA verifies them; a broker certificate from another CA is refused in
// one line; and when the broker the bus is connected to dies — killed (SIGKILL of every process of its
// node), or cut off the network so that only the heartbeat notices — publishes and consumers move to
// another broker with no message lost. The time until publishes and deliveries flow again is printed
// with the load average. The partition test starts the broker the kill test killed first.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import {
  QUEUE_NODES,
  RABBIT_PASSWORD,
  RABBIT_USER,
  type SharedQueueLab,
} from '../../bench/cluster-install/queue-lab.js';
import type { Consumer } from '../../src/bus/port.js';
import { createRabbitBus, type RabbitBus } from '../../src/bus/rabbitmq.js';
import { mgmtRequest } from '../../src/installer/components/queue/management.js';
import { within } from '../../src/lab/within.js';
import { brokerUnavailable, makeCerts as makeOtherCa } from './rabbit-broker.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** The longest pause between consecutive timestamps from a second before `from` on (ms). */
function longestGap(times: Iterable<number>, from: number): number {
  const t = [...times].filter((x) => x >= from - 1000).sort((a, b) => a - b);
  let gap = 0;
  for (let i = 1; i < t.length; i++) gap = Math.max(gap, t[i]! - t[i - 1]!);
  return gap;
}

/** The REST service's bus publishing in two loops, the worker's bus consuming with two consumers. */
class Traffic {
  readonly queue = `failover.${randomUUID()}`;
  /** Times each message id was handled, and when handlers ran. */
  readonly seen = new Map<number, number>();
  readonly deliveredAt: number[] = [];
  readonly started = new Map<number, number>();
  readonly confirmedAt = new Map<number, number>();
  readonly failed: string[] = [];
  private next = 0;
  private stopped = false;
  private loops: Promise<void>[] = [];
  private consumers: Consumer[] = [];

  private constructor(
    readonly pub: RabbitBus,
    readonly con: RabbitBus,
    /** What the buses said (onState, onError), with timestamps. */
    readonly log: string[],
  ) {}

  static async start(url: string, ca: string): Promise<Traffic> {
    const log: string[] = [];
    const opts = (who: string) => ({
      url,
      ca,
      onState: (m: string) => log.push(`${Date.now()} ${who} ${m}`),
      onError: (e: unknown) => log.push(`${Date.now()} ${who} error ${(e as Error).message}`),
    });
    const tr = new Traffic(
      await createRabbitBus(opts('publisher')),
      await createRabbitBus(opts('consumer')),
      log,
    );
    const handler = async (m: unknown) => {
      const id = (m as { id: number }).id;
      tr.seen.set(id, (tr.seen.get(id) ?? 0) + 1);
      tr.deliveredAt.push(Date.now());
      await sleep(5); // acked late, after this: messages are in flight when the broker dies
    };
    for (let i = 0; i < 2; i++) tr.consumers.push(await tr.con.consume(tr.queue, handler, { prefetch: 10 }));
    tr.loops = [tr.loop(), tr.loop()];
    return tr;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const id = this.next++;
      this.started.set(id, Date.now());
      try {
        await this.pub.publish(this.queue, { id });
        this.confirmedAt.set(id, Date.now());
      } catch (err) {
        this.failed.push(`${id}: ${(err as Error).message}`);
      }
      await sleep(10);
    }
  }

  /** When the first message whose publish began after `t` was confirmed / handled (NaN: not yet). */
  confirmedAfter(t: number): number {
    const at = [...this.confirmedAt].filter(([id]) => this.started.get(id)! > t).map(([, a]) => a);
    return at.length ? Math.min(...at) : Number.NaN;
  }
  handledAfter(t: number): boolean {
    return [...this.seen.keys()].some((id) => this.started.get(id)! > t);
  }

  async stopPublishing(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }

  async close(): Promise<void> {
    await this.stopPublishing();
    for (const c of this.consumers) await c.cancel();
    await this.pub.close();
    await this.con.close();
  }
}

/** The bus's view of the shared lab: the brokers' URL (all three) and the test CA's certificate file. */
interface BusLab {
  ref: SharedQueueLab;
  url: string;
  caFile: string;
}

function busLab(ref: SharedQueueLab): BusLab {
  const hosts = QUEUE_NODES.map((n) => `${ref.q.ips[n]!}:5671`).join(',');
  return {
    ref,
    url: `amqps://${RABBIT_USER}:${encodeURIComponent(RABBIT_PASSWORD)}@${hosts}/`,
    caFile: join(ref.caDir, 'ca.crt'),
  };
}

const ipOf = (b: BusLab, node: string) => b.ref.q.ips[node]!;
const nodeOf = (b: BusLab, member: string) => QUEUE_NODES.find((n) => member === `${ipOf(b, n)}:5671`)!;

const mgmt = (b: BusLab, via: string, path: string) =>
  mgmtRequest(
    { host: ipOf(b, via), username: RABBIT_USER, password: RABBIT_PASSWORD, ca: readFileSync(b.caFile) },
    'GET',
    path,
  );
const runningBrokers = async (b: BusLab, via: string) =>
  (JSON.parse((await mgmt(b, via, '/api/nodes')).body) as { running: boolean }[]).filter((n) => n.running)
    .length;

/** The node leading the quorum queue, from the management API of `via`. */
async function queueLeader(b: BusLab, via: string, queue: string): Promise<string> {
  const r = await mgmt(b, via, `/api/queues/%2F/${encodeURIComponent(queue)}`);
  return (JSON.parse(r.body) as { leader?: string }).leader ?? `unknown (HTTP ${r.status})`;
}

interface Bounds {
  moveMs: number;
  flowMs: number;
  publishTimeouts?: boolean;
}

/**
 * With traffic flowing, breaks the broker both buses are on with `breakIt`, then waits for the buses on
 * another broker (within `bounds.moveMs`), a publish confirmed and a new message handled (within
 * `bounds.flowMs`), and 200 more deliveries; what it saw on the way, timed from the break.
 */
async function breakAndRecover(
  b: BusLab,
  tr: Traffic,
  breakIt: (node: string) => Promise<unknown>,
  bounds: Bounds,
) {
  const on = tr.pub.connectedTo()!;
  assert.equal(tr.con.connectedTo(), on, 'both buses start on the first running broker');
  const victim = nodeOf(b, on);
  const others = QUEUE_NODES.filter((n) => n !== victim);
  const leader = await queueLeader(b, others[0]!, tr.queue);
  await within(30_000, () => tr.deliveredAt.length >= 200, Boolean, 'messages flowing before');

  const loadBefore = load();
  const t0 = Date.now();
  await breakIt(victim);
  const breakMs = Date.now() - t0;
  const back = await within(
    bounds.moveMs,
    () => [tr.pub.connectedTo(), tr.con.connectedTo()],
    (b) => b.every((x) => x !== undefined && x !== on),
    'both buses on another broker',
  );
  const moved = Date.now() - t0;
  const published = await within(
    bounds.flowMs,
    () => tr.confirmedAfter(t0 + breakMs),
    Number.isFinite,
    'publish',
  );
  await within(bounds.flowMs, () => tr.handledAfter(t0 + breakMs), Boolean, 'a new message handled');
  const handled = Date.now();
  await within(30_000, () => tr.deliveredAt.filter((x) => x > handled).length >= 200, Boolean, 'flow');
  return { on, victim, leader, loadBefore, t0, breakMs, back, moved, published, handled };
}

/**
 * Runs traffic, breaks the broker both buses are on with `breakIt`, and checks that publishes and
 * deliveries come back on another broker (the buses within `bounds.moveMs`, messages within
 * `bounds.flowMs`), with every confirmed message handled. A publish may fail only with
 * `bounds.publishTimeouts`, and then only by its timeout (30 s), in one line.
 */
async function failover(
  b: BusLab,
  t: TestContext,
  how: string,
  breakIt: (node: string) => Promise<unknown>,
  bounds: Bounds,
): Promise<string> {
  const tr = await Traffic.start(b.url, b.caFile);
  try {
    const { on, victim, leader, loadBefore, t0, breakMs, back, moved, published, handled } =
      await breakAndRecover(b, tr, breakIt, bounds);
    await tr.stopPublishing();
    const confirmed = [...tr.confirmedAt.keys()];
    const missing = await within(
      60_000,
      () => confirmed.filter((id) => !tr.seen.has(id)),
      (m) => m.length === 0,
      'every confirmed message handled',
    );
    const dup = [...tr.seen.values()].filter((n) => n > 1).length;
    t.diagnostic(
      `${how} ${victim} (${on}; the queue's leader was ${leader}) in ${breakMs} ms; the buses were on ${back.join(' and ')} ${moved} ms after it`,
    );
    t.diagnostic(
      `publishes confirmed again ${published - t0} ms after it (longest pause between confirms ` +
        `${longestGap(tr.confirmedAt.values(), t0)} ms); new messages handled ${handled - t0} ms after it ` +
        `(longest pause between deliveries ${longestGap(tr.deliveredAt, t0)} ms)`,
    );
    t.diagnostic(
      `${confirmed.length} messages confirmed, ${confirmed.length - missing.length} handled; ${dup} handled ` +
        `twice (unacked or unconfirmed when the broker went); load average before ${loadBefore}, after ${load()}`,
    );
    if (bounds.publishTimeouts) {
      t.diagnostic(`${tr.failed.length} publishes failed after their 30 s timeout`);
      const bad = tr.failed.filter(
        (f) => !/^\d+: RabbitMQ did not confirm a message to \S+ within 30000 ms/.test(f),
      );
      assert.deepEqual(bad, [], 'a publish fails only by its timeout');
    } else {
      assert.deepEqual(tr.failed, [], 'no publish failed: they waited for the next broker');
    }
    assert.ok(
      [...tr.seen.keys()].every((id) => tr.started.has(id)),
      'only published messages were handled',
    );
    // at most prefetch x consumers unacked deliveries, plus one unconfirmed publish per loop
    assert.ok(dup <= 10 * 2 + 2, `${dup} duplicates`);
    return victim;
  } catch (err) {
    for (const l of tr.log.slice(-80)) t.diagnostic(l);
    throw err;
  } finally {
    await tr.close();
  }
}

/** Runs on the three brokers the queue_service scenarios left running. */
export function registerRabbitBusScenarios(ref: SharedQueueLab): void {
  describe('rabbitmq bus on the 3-broker cluster', { skip: brokerUnavailable() }, () => {
    /** The broker the kill test killed (started again by the partition test). */
    let killed: string | undefined;
    test('refuses brokers whose certificates another CA signed, in one line naming the broker and the CA', async () => {
      const bus = busLab(ref);
      const dir = mkdtempSync(join(tmpdir(), 'stratus-other-ca-'));
      try {
        const other = makeOtherCa(dir).ca;
        const err = await createRabbitBus({ url: bus.url, ca: other }).catch((e: Error) => e);
        assert.ok(err instanceof Error);
        const first = ipOf(bus, 'queue1').replaceAll('.', '\\.');
        assert.match(
          err.message,
          new RegExp(
            `^RabbitMQ broker ${first}:5671 presented a certificate that is not signed by the CA in ${other} \\(`,
          ),
        );
        assert.ok(!err.message.includes('\n'), err.message);
        assert.ok(!err.message.includes(RABBIT_PASSWORD));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test('the broker the bus is on is killed: publishes and consumers move on in a few seconds, nothing lost', async (t) => {
      const bus = busLab(ref);
      killed = await failover(bus, t, 'killed', (node) => ref.q.t.lab.kill(node), {
        moveMs: 15_000,
        flowMs: 15_000,
      });
    });

    test('the broker the bus is on is cut off the network: the heartbeat notices, and the bus moves on', async (t) => {
      const bus = busLab(ref);
      // bring the killed broker back first: of three brokers, cutting one off leaves a majority
      const back = killed ?? 'queue1';
      if (killed) await ref.q.t.lab.start(killed);
      await within(
        120_000,
        () => runningBrokers(bus, back),
        (n) => n === 3,
        `${back} back in the cluster`,
      );
      const alone = bus.url.replace(/@.*\//, `@${ipOf(bus, back)}:5671/`);
      await within(
        60_000,
        async () => {
          await (await createRabbitBus({ url: alone, ca: bus.caFile, publishTimeoutMs: 2000 })).close();
          return true;
        },
        Boolean,
        `${back} taking AMQP connections`,
      );
      // The buses notice after two missed 5 s heartbeats; the brokers notice a silent peer only after
      // Erlang's net_ticktime (60 s by default), and only then elect a new leader for the quorum queue
      // the cut-off broker led: until then publishes are nacked, and those older than 30 s fail.
      await failover(bus, t, 'cut off', (node) => ref.q.t.lab.partition(node), {
        moveMs: 30_000,
        flowMs: 150_000,
        publishTimeouts: true,
      });
    });
  });
}
