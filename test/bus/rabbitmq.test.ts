// The bus contract against a real RabbitMQ broker (started here, removed afterwards), plus what only
// the broker adapter does: TLS checks (CA, SANs) with one-line errors, several brokers in one URL,
// quorum queues, and messages that survive a lost connection.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import amqp from 'amqplib';
import { createRabbitBus } from '../../src/bus/rabbitmq.js';
import { busContract } from './contract.js';
import { freePort } from '../helpers/postgres.js';
import { brokerUnavailable, makeCerts, startBroker, type TestBroker } from './rabbit-broker.js';

const skip = brokerUnavailable();

describe('bus contract [rabbitmq]', { skip }, () => {
  let broker: TestBroker;
  busContract({
    open: async () => {
      broker = await startBroker();
      return createRabbitBus({ url: broker.url });
    },
    close: async () => broker?.stop(),
  });
});

describe('rabbitmq adapter', { skip }, () => {
  let broker: TestBroker;
  before(async () => {
    broker = await startBroker({ tls: true });
  });

  it('speaks amqps:// with a CA bundle', async () => {
    const bus = await createRabbitBus({ url: broker.tlsUrl!, ca: broker.caFile });
    const got: unknown[] = [];
    await bus.consume('q.tls', async (m) => {
      got.push(m);
    });
    await bus.publish('q.tls', { secure: true });
    const end = Date.now() + 20_000;
    while (got.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(got, [{ secure: true }]);
    await bus.close();
  });

  it('refuses a broker certificate not signed by the CA, in one line naming the broker and the CA', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stratus-other-ca-'));
    try {
      const other = makeCerts(dir).ca;
      const port = new URL(broker.tlsUrl!).port;
      const t0 = Date.now();
      const err = await createRabbitBus({ url: broker.tlsUrl!, ca: other }).catch((e: Error) => e);
      assert.ok(err instanceof Error);
      assert.equal(err.message.split('\n').length, 1, `one line: ${err.message}`);
      assert.match(
        err.message,
        new RegExp(
          `^RabbitMQ broker localhost:${port} presented a certificate that is not signed by the CA in ${other} \\(.+\\): give the CA that signed the brokers' certificates`,
        ),
      );
      assert.ok(Date.now() - t0 < 10_000, 'fails at once, not after the publish timeout');
      // without a CA the system's CAs are used, and they do not know the test CA either
      const none = await createRabbitBus({ url: broker.tlsUrl! }).catch((e: Error) => e);
      assert.match(String(none), /not signed by any CA this system trusts \(no CA file was given\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a broker whose certificate does not name the address it was reached at (SANs)', async () => {
    const err = await createRabbitBus({ url: broker.tlsUnnamedUrl!, ca: broker.caFile }).catch(
      (e: Error) => e,
    );
    assert.match(
      String(err),
      /RabbitMQ broker 127\.0\.0\.2:\d+ presented a certificate for IP Address:127\.0\.0\.1, DNS:localhost, which does not name 127\.0\.0\.2: /,
    );
  });

  it('takes several brokers in one URL and skips one that does not answer', async () => {
    const dead = await freePort();
    const states: string[] = [];
    const url = broker.url.replace('127.0.0.1:', `127.0.0.1:${dead},127.0.0.1:`);
    const bus = await createRabbitBus({ url, onState: (m) => states.push(m) });
    assert.equal(bus.connectedTo(), `127.0.0.1:${broker.port}`);
    assert.deepEqual(states, [`connected to RabbitMQ 127.0.0.1:${broker.port}`]);
    await bus.publish('q.multi', { n: 1 });
    await bus.close();
    // none answers: the wait names every broker and why, in one line
    const none = await createRabbitBus({
      url: `amqp://guest:secret@127.0.0.1:${dead},127.0.0.1:${dead}`,
      publishTimeoutMs: 1000,
    }).catch((e: Error) => e);
    assert.match(
      String(none),
      new RegExp(
        `RabbitMQ is not reachable at 127.0.0.1:${dead}, 127.0.0.1:${dead} \\(waited 1000 ms\\): RabbitMQ broker 127.0.0.1:${dead}: connect ECONNREFUSED`,
      ),
    );
    assert.doesNotMatch(String(none), /secret|\n/);
  });
  after(async () => broker?.stop());

  it('declares durable quorum queues and keeps unacked messages when a consumer connection dies', async () => {
    const bus = await createRabbitBus({ url: broker.url });
    const got: unknown[] = [];
    let stuck = 0;
    // a consumer on its own bus that takes the message and never acks
    const dying = await createRabbitBus({ url: broker.url });
    await dying.consume('q.survive', async () => {
      stuck++;
      await new Promise(() => {});
    });
    await bus.publish('q.survive', { n: 1 });
    const end = Date.now() + 20_000;
    while (stuck === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    assert.equal(stuck, 1);
    await dying.close();
    await bus.consume('q.survive', async (m) => {
      got.push(m);
    });
    while (got.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(got, [{ n: 1 }]);
    const conn = await amqp.connect(broker.url);
    conn.on('error', () => {});
    const ch = await conn.createChannel();
    ch.on('error', () => {});
    // re-declaring with other arguments fails when the queue is a quorum queue
    await assert.rejects(
      ch.assertQueue('q.survive', { durable: true, arguments: { 'x-queue-type': 'classic' } }),
    );
    await conn.close().catch(() => {});
    await bus.close();
  });
});
