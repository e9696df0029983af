// What the RabbitMQ bus does around a (re)connect, against a real broker: a broker that accepts TCP but
// never speaks AMQP is given up after the connect timeout and the next one is used; a consumer whose
// registration fails on a reconnect (here: its queue was re-declared as a classic queue meanwhile, so
// declaring it as a quorum queue is refused) is retried on the live connection until it is registered,
// and its queue then reports the consumer and delivers to it.
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import amqp from 'amqplib';
import { createRabbitBus } from '../../src/bus/rabbitmq.js';
import { freePort } from '../helpers/postgres.js';
import { relay } from '../helpers/tcp-relay.js';
import { brokerUnavailable, startBroker, type TestBroker } from './rabbit-broker.js';

const skip = brokerUnavailable();

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('rabbitmq bus reconnects', { skip }, () => {
  let broker: TestBroker;
  before(async () => {
    broker = await startBroker();
  });
  after(async () => {
    await broker?.stop();
  });

  it('gives up a broker that accepts TCP but never answers the AMQP handshake', async () => {
    const held = new Set<Socket>();
    const silent = createServer((s) => {
      held.add(s);
      s.on('error', () => {});
    });
    const port = await freePort();
    await new Promise<void>((r) => silent.listen(port, '127.0.0.1', r));
    const t0 = Date.now();
    const bus = await createRabbitBus({
      url: `amqp://guest:guest@127.0.0.1:${port},127.0.0.1:${broker.port}`,
      connectTimeoutMs: 1000,
    });
    try {
      assert.equal(bus.connectedTo(), `127.0.0.1:${broker.port}`);
      assert.ok(Date.now() - t0 < 10_000, `connected after ${Date.now() - t0} ms`);
    } finally {
      await bus.close();
      for (const s of held) s.destroy();
      silent.close();
    }
  });

  it('a consumer whose registration fails once on a reconnect is registered on the next attempt', async () => {
    const cut = await relay(broker.port);
    const errors: string[] = [];
    const states: string[] = [];
    const bus = await createRabbitBus({
      url: `amqp://guest:guest@127.0.0.1:${cut.port}`,
      onError: (e) => errors.push((e as Error).message),
      onState: (m) => states.push(m),
    });
    const admin = await amqp.connect(broker.url);
    try {
      const got: unknown[] = [];
      await bus.consume('q.resetup', async (m) => {
        got.push(m);
      });
      cut.cut();
      await until('the connection to be lost', () => states.some((s) => s.includes('lost')));
      // while the bus is away, the queue becomes a classic queue: declaring it as a quorum queue fails
      const ch = await admin.createChannel();
      await ch.deleteQueue('q.resetup');
      await ch.assertQueue('q.resetup', { durable: true });
      cut.restore();
      await until('a failed consumer registration', () => errors.some((e) => /PRECONDITION_FAILED/.test(e)));
      await ch.deleteQueue('q.resetup');
      await until('the bus to be connected again', () => bus.connectedTo() !== undefined);
      // the consumer is retried on the live connection until its queue reports it (a fresh channel per
      // look: a look at a queue not declared yet closes its channel)
      await until('the consumer registered again', async () => {
        const look = await admin.createChannel();
        look.on('error', () => {});
        const q = await look.checkQueue('q.resetup').catch(() => undefined);
        await look.close().catch(() => {});
        return q?.consumerCount === 1;
      });
      await bus.publish('q.resetup', { n: 1 });
      await until('the message', () => got.length === 1, 10_000);
      assert.deepEqual(got, [{ n: 1 }]);
      await ch.close();
    } finally {
      await bus.close();
      await admin.close();
      cut.cut();
      await cut.close();
    }
  });
});
