// The bus contract against a real RabbitMQ broker (started here, removed afterwards), plus what only
// the broker adapter does: quorum queues, and messages that survive a lost connection.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import amqp from 'amqplib';
import { createRabbitBus } from '../../src/bus/rabbitmq.js';
import { busContract } from './contract.js';
import { brokerUnavailable, startBroker, type TestBroker } from './rabbit-broker.js';

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

  it('speaks amqps:// with a CA bundle, and refuses a broker certificate it cannot verify', async () => {
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
    await assert.rejects(createRabbitBus({ url: broker.tlsUrl!, publishTimeoutMs: 1500 }), /not reachable/);
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
