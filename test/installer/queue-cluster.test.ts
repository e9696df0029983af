// Three brokers installed in the lab from the guide's config.yaml with generate-test-cert certificates:
// `brokers list`, a quorum queue that survives a killed broker (amqps with the CA), `brokers remove` of the
// dead node, TLS-only listeners, the management API refusing anonymous access, file modes, no password in
// cfy_manager.log, and join_cluster naming an unknown host.
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import amqp from 'amqplib';
import { stringify } from 'yaml';
import {
  ERLANG_COOKIE,
  guideQueueConfig,
  installCluster,
  makeCerts,
  type QueueLab,
  RABBIT_PASSWORD,
  RABBIT_USER,
  startQueueLab,
  writeConfigs,
} from '../../bench/cluster-install/queue-lab.js';
import { mgmtRequest } from '../../src/installer/components/queue/management.js';
import { within } from '../../src/lab/within.js';

const root = process.getuid?.() === 0;
const skip = root ? false : 'needs root: the lab creates namespaces, and RabbitMQ runs as the rabbitmq user';

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

describe('queue_service: a 3-broker cluster in the lab', { skip }, () => {
  let q: QueueLab;
  let ca: Buffer;
  /** The broker killed by the quorum test; the tests after it use the others. */
  let victim = '';
  const mgmt = (node: string, auth = true, password = RABBIT_PASSWORD) =>
    mgmtRequest(
      { host: q.ips[node]!, username: RABBIT_USER, password, ca, timeoutMs: 10_000 },
      'GET',
      '/api/nodes',
      undefined,
      auth,
    );
  const amqpsUrl = (node: string) => ({
    protocol: 'amqps',
    hostname: q.ips[node]!,
    port: 5671,
    username: RABBIT_USER,
    password: RABBIT_PASSWORD,
    vhost: '/',
  });

  before(async () => {
    q = await startQueueLab();
    const caDir = await makeCerts(q);
    ca = readFileSync(join(caDir, 'ca.crt'));
    writeConfigs(q);
    const times = await installCluster(q);
    console.log(`# installed 3 brokers in ${times.map((t) => (t / 1000).toFixed(1)).join(' + ')} s`);
  });
  after(async () => {
    await q?.t.down();
  });

  test('brokers list on each node shows the 3 brokers running', async () => {
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
    const ip = q.ips.queue1!;
    const plain = await plainAmqp(ip, 5671);
    assert.doesNotMatch(plain, /AMQP/, plain);
    assert.equal(await plainAmqp(ip, 5672), 'ECONNREFUSED');
  });

  test('the management API refuses anonymous and wrong-password access; no plain HTTP port', async () => {
    assert.equal((await mgmt('queue2', false)).status, 401);
    assert.equal((await mgmt('queue2', true, 'wrong-password')).status, 401);
    assert.equal((await mgmt('queue2')).status, 200);
    assert.equal(await plainAmqp(q.ips.queue2!, 15672), 'ECONNREFUSED');
  });

  test('key and cookie files are 0400/0600 and owned by rabbitmq; no secret in cfy_manager.log', () => {
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

  test('a quorum queue stays writable and readable through the others after its leader is killed', async () => {
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
    victim = queue.leader.split('@')[1]!;
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
  });

  test('join_cluster naming an unknown host is a clear error, before anything changes', async () => {
    const node = ['queue1', 'queue2', 'queue3'].find((n) => n !== victim)!;
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
});
