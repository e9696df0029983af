// queue_service on the three brokers of the shared lab of test/installer/queue-cluster-lab.test.ts
// (installed from the guide's config.yaml with generate-test-cert certificates): `brokers list`, TLS-only
// listeners, the management API refusing anonymous access, file modes, no password in cfy_manager.log, a
// quorum queue that survives a killed broker (amqps with the CA), `brokers remove` of the dead node, and
// join_cluster naming an unknown host. Last, the removed broker is installed again, joining a survivor:
// it leaves the three brokers running, as the bus scenarios after it need them.
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { describe, test } from 'node:test';
import amqp from 'amqplib';
import { stringify } from 'yaml';
import {
  ERLANG_COOKIE,
  guideQueueConfig,
  installNode,
  type QueueLab,
  QUEUE_NODES,
  RABBIT_PASSWORD,
  RABBIT_USER,
  type SharedQueueLab,
} from '../../bench/cluster-install/queue-lab.js';
import { mgmtRequest } from '../../src/installer/components/queue/management.js';
import { within } from '../../src/lab/within.js';

/** What a plain (non-TLS) AMQP client gets from a port: the first bytes back, or how it ended. */
function plainAmqp(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    let got = Buffer.alloc(0);
    const done = (what: string) => {
      s.destroy();
      resolve(what);
    };
    s.setTimeout(5000, () => done(`timeout after ${got.length} bytes`));
    s.on('connect', () => s.write(Buffer.from('AMQP\x00\x00\x09\x01', 'binary')));
    s.on('data', (d) => {
      got = Buffer.concat([got, d]);
    });
    s.on('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
    s.on('close', () => done(`closed after ${got.length} bytes: ${got.subarray(0, 8).toString('latin1')}`));
  });
}

/** The broker the quorum test killed and removed from the cluster; the tests after it use the others. */
interface QueueState {
  victim: string;
}

function helpers(ref: SharedQueueLab) {
  const mgmt = (node: string, auth = true, password = RABBIT_PASSWORD) =>
    mgmtRequest(
      { host: ref.q.ips[node]!, username: RABBIT_USER, password, ca: ref.ca, timeoutMs: 10_000 },
      'GET',
      '/api/nodes',
      undefined,
      auth,
    );
  const amqpsUrl = (node: string) => ({
    protocol: 'amqps',
    hostname: ref.q.ips[node]!,
    port: 5671,
    username: RABBIT_USER,
    password: RABBIT_PASSWORD,
    vhost: '/',
  });
  return { mgmt, amqpsUrl };
}

export function registerQueueClusterScenarios(ref: SharedQueueLab): void {
  describe('queue_service: a 3-broker cluster in the lab', () => {
    const s: QueueState = { victim: '' };
    listedAndLocked(ref);
    quorumQueue(ref, s);
    afterTheRemoval(ref, s);
  });
}

/** What every broker shows, and what it refuses and protects. */
function listedAndLocked(ref: SharedQueueLab): void {
  const { mgmt } = helpers(ref);
  test('brokers list on each node shows the 3 brokers running', async () => {
    const { q } = ref;
    for (const n of ['queue1', 'queue3']) {
      const r = await q.cfy(n, ['brokers', 'list']);
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.trim().split('\n');
      assert.equal(lines[1], '|  broker_name  | running | alarms |');
      assert.deepEqual(lines.slice(3, 6), [
        '| rabbit@queue1 |   True  |        |',
        '| rabbit@queue2 |   True  |        |',
        '| rabbit@queue3 |   True  |        |',
      ]);
    }
  });

  test('AMQP only over TLS: plain AMQP to 5671 gets no AMQP answer, 5672 is closed', async () => {
    const { q } = ref;
    const ip = q.ips.queue1!;
    const plain = await plainAmqp(ip, 5671);
    assert.doesNotMatch(plain, /AMQP/, plain);
    assert.equal(await plainAmqp(ip, 5672), 'ECONNREFUSED');
  });

  test('the management API refuses anonymous and wrong-password access; no plain HTTP port', async () => {
    const { q } = ref;
    assert.equal((await mgmt('queue2', false)).status, 401);
    assert.equal((await mgmt('queue2', true, 'wrong-password')).status, 401);
    assert.equal((await mgmt('queue2')).status, 200);
    assert.equal(await plainAmqp(q.ips.queue2!, 15672), 'ECONNREFUSED');
  });

  test('key and cookie files are 0400/0600 and owned by rabbitmq; no secret in cfy_manager.log', () => {
    const { q } = ref;
    for (const n of ['queue1', 'queue2', 'queue3']) {
      const key = statSync(q.path(n, '/etc/cloudify/ssl/rabbitmq-key.pem'));
      assert.equal(key.mode & 0o777, 0o400, `${n} key mode ${(key.mode & 0o777).toString(8)}`);
      assert.equal(statSync(q.path(n, '/var/lib/rabbitmq/.erlang.cookie')).mode & 0o777, 0o600);
      assert.equal(statSync(q.path(n, '/etc/cloudify/ssl/rabbitmq-cert.pem')).mode & 0o777, 0o444);
      const log = readFileSync(q.path(n, '/var/log/cloudify/manager/cfy_manager.log'), 'utf8');
      assert.ok(log.length > 0);
      assert.ok(!log.includes(RABBIT_PASSWORD), `rabbitmq password in ${n}'s cfy_manager.log`);
      assert.ok(!log.includes(ERLANG_COOKIE), `erlang cookie in ${n}'s cfy_manager.log`);
    }
  });
}

/** `brokers list` and `brokers remove` on a survivor (`other`) once `victim` is dead. */
async function removeDeadBroker(q: QueueLab, other: string, victim: string): Promise<void> {
  // brokers list on a survivor: the dead node is listed as not running (exit 0).
  const listed = await within(
    60_000,
    () => q.cfy(other, ['brokers', 'list']),
    (r) => r.code === 0 && r.stdout.includes(`| rabbit@${victim} |  False  |`),
    'dead broker listed as not running',
  );
  assert.match(listed.stdout, /\| {2}False {2}\|/);

  // brokers remove of a running node is refused; of the dead one works.
  const refused = await q.cfy(other, ['brokers', 'remove', '-r', other]);
  assert.equal(refused.code, 1);
  assert.match(refused.stdout, /Broker nodes to be removed must be shut down/);
  const unknown = await q.cfy(other, ['brokers', 'remove', '-r', 'nosuchnode']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stdout, /Broker node rabbit@nosuchnode not found in cluster\. Valid nodes are: /);
  const removed = await q.cfy(other, ['brokers', 'remove', '-r', victim]);
  assert.equal(removed.code, 0, removed.stdout + removed.stderr);
  assert.match(removed.stdout, new RegExp(`Broker rabbit@${victim} removed from cluster\\.`));
  const after2 = await q.cfy(other, ['brokers', 'list']);
  assert.equal(after2.code, 0);
  assert.ok(!after2.stdout.includes(`rabbit@${victim}`), after2.stdout);
  assert.equal((after2.stdout.match(/\| {3}True {2}\|/g) ?? []).length, 2);
}

/** A quorum queue through a killed broker, then `brokers remove` of that broker. */
function quorumQueue(ref: SharedQueueLab, s: QueueState): void {
  const { amqpsUrl } = helpers(ref);
  test('a quorum queue stays writable and readable through the others after its leader is killed', async () => {
    const { q, ca } = ref;
    const conn1 = await amqp.connect(amqpsUrl('queue1'), { ca: [ca] });
    const ch1 = await conn1.createConfirmChannel();
    await ch1.assertQueue('stratus-qq', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    for (let i = 0; i < 50; i++) ch1.sendToQueue('stratus-qq', Buffer.from(`m${i}`), { persistent: true });
    await ch1.waitForConfirms();
    await conn1.close();

    const info = await mgmtRequest(
      { host: q.ips.queue2!, username: RABBIT_USER, password: RABBIT_PASSWORD, ca },
      'GET',
      '/api/queues/%2F/stratus-qq',
    );
    const queue = JSON.parse(info.body) as { type: string; leader: string; members: string[] };
    assert.equal(queue.type, 'quorum');
    assert.equal(queue.members.length, 3);
    const victim = queue.leader.split('@')[1]!;
    s.victim = victim;
    const other = ['queue1', 'queue2', 'queue3'].find((n) => n !== victim)!;

    const t0 = Date.now();
    await q.t.lab.kill(victim);
    // Publish and count through a surviving broker, retrying while the followers elect a new leader.
    const count = await within(
      60_000,
      async () => {
        const c = await amqp.connect(amqpsUrl(other), { ca: [ca] });
        try {
          const ch = await c.createConfirmChannel();
          ch.sendToQueue('stratus-qq', Buffer.from('after-kill'), { persistent: true });
          await ch.waitForConfirms();
          return (await ch.checkQueue('stratus-qq')).messageCount;
        } finally {
          await c.close().catch(() => undefined);
        }
      },
      (n) => typeof n === 'number' && n >= 51,
      'publish to the quorum queue after the leader was killed',
    );
    console.log(`# quorum queue writable ${((Date.now() - t0) / 1000).toFixed(1)} s after killing ${victim}`);
    assert.ok(count >= 51);

    const c = await amqp.connect(amqpsUrl(other), { ca: [ca] });
    const ch = await c.createChannel();
    const bodies: string[] = [];
    for (;;) {
      const m = await ch.get('stratus-qq', { noAck: false });
      if (!m) break;
      bodies.push(m.content.toString());
      ch.ack(m);
    }
    await c.close();
    assert.equal(bodies.filter((b) => b.startsWith('m')).length, 50);
    assert.ok(bodies.includes('after-kill'));

    await removeDeadBroker(q, other, victim);
  });
}

/** After the removal: a bad join_cluster refused; the removed broker installed again. */
function afterTheRemoval(ref: SharedQueueLab, s: QueueState): void {
  test('join_cluster naming an unknown host is a clear error, before anything changes', async () => {
    const { q } = ref;
    const node = ['queue1', 'queue2', 'queue3'].find((n) => n !== s.victim)!;
    const cfg = guideQueueConfig(q, node, 'queue1');
    cfg.rabbitmq = { ...cfg.rabbitmq, join_cluster: 'nosuchhost' };
    writeFileSync(q.path(node, '/etc/cloudify/bad-join.yaml'), stringify(cfg));
    const r = await q.cfy(node, ['validate', '-c', '/etc/cloudify/bad-join.yaml']);
    assert.equal(r.code, 1);
    assert.match(
      r.stdout + r.stderr,
      /ValidationError: .*\n?.*rabbitmq\.join_cluster names "nosuchhost", which is not one of rabbitmq\.cluster_members \(queue1, queue2, queue3\) and does not resolve/,
    );
    const list = await q.cfy(node, ['brokers', 'list']);
    assert.equal(list.code, 0, 'the broker is untouched');
  });

  test('the removed broker installed again, joining a survivor: the 3 brokers run', async () => {
    const { q } = ref;
    // `brokers remove` made the cluster forget it, so it cannot simply start again: as the guide adds a
    // broker, its node is cleaned (`remove`) and installed with join_cluster naming a running broker.
    const node = s.victim;
    const survivor = QUEUE_NODES.find((n) => n !== node)!;
    await q.t.lab.start(node);
    const rm = await q.cfy(node, ['remove']);
    assert.equal(rm.code, 0, rm.stdout + rm.stderr);
    const cfg = guideQueueConfig(q, node, survivor);
    writeFileSync(q.path(node, '/etc/cloudify/config.yaml'), stringify(cfg), { mode: 0o600 });
    const t0 = Date.now();
    const r = await installNode(q, node);
    assert.equal(r.code, 0, r.stdout.slice(-3000) + r.stderr.slice(-3000));
    console.log(
      `# ${node} installed again, joining ${survivor}, in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
    for (const n of [node, survivor]) {
      const list = await within(
        60_000,
        () => q.cfy(n, ['brokers', 'list']),
        (x) => x.code === 0 && (x.stdout.match(/\| {3}True {2}\|/g) ?? []).length === 3,
        `3 brokers running, as ${n} lists them`,
      );
      assert.ok(list.stdout.includes(`| rabbit@${node} |   True  |`), list.stdout);
    }
  });
}
