// The RabbitMQ adapter of the Bus port (server setup). Queues are durable quorum queues; messages are
// persistent and `publish` resolves only after the broker confirmed them (confirm channel). Each
// consumer has its own channel with a bounded prefetch and acks late, after its handler resolved; a
// handler that throws is nacked and requeued (rabbitmq-consumer.ts). The connection is re-established
// forever (backoff up to 10 s) and consumers are re-registered; unacked messages of a lost connection
// are redelivered by the broker (rabbitmq-connection.ts). TLS: an amqps:// URL, optionally with a CA bundle.
import { readFileSync } from 'node:fs';
import type { Bus, Consumer } from './port.js';
import { RabbitConnection } from './rabbitmq-connection.js';
import { declareQueue, type Sub, startConsumer } from './rabbitmq-consumer.js';

export { redact } from './rabbitmq-connection.js';

export interface RabbitBusOptions {
  url: string;
  /** PEM CA bundle (contents or a file path) for amqps:// */
  ca?: string;
  /** Give up a publish that found no connection after this long. @default 30000 */
  publishTimeoutMs?: number;
  onError?: (err: unknown) => void;
  /** Called with a short sentence on connect/disconnect (for logs and tests). */
  onState?: (msg: string) => void;
}

function caOf(ca: string | undefined): Buffer[] | undefined {
  if (!ca) return undefined;
  return [Buffer.from(ca.includes('-----BEGIN') ? ca : readFileSync(ca, 'utf8'))];
}

export async function createRabbitBus(o: RabbitBusOptions): Promise<Bus> {
  const onError = o.onError ?? (() => {});
  const link = new RabbitConnection({
    url: o.url,
    socketOpts: { ca: caOf(o.ca), heartbeat: 15 },
    onError,
    say: o.onState ?? (() => {}),
  });
  const publishTimeoutMs = o.publishTimeoutMs ?? 30_000;

  // The first connection is awaited with the same patience as a publish, so a bad URL fails loudly.
  await link.waitConnected(publishTimeoutMs);

  return {
    publish: (queue, message) => publish(link, queue, message, publishTimeoutMs),
    async consume(queue, handler, opts = {}) {
      const s: Sub = { queue, handler, prefetch: Math.max(1, opts.prefetch ?? 1), active: true };
      link.subs.push(s);
      if (link.conn) await startConsumer(link.conn, s, onError);
      const consumer: Consumer = {
        async cancel() {
          s.active = false;
          link.subs.splice(link.subs.indexOf(s), 1);
          // closing the channel returns its unacked messages to the queue
          await s.channel?.close().catch(() => {});
        },
      };
      return consumer;
    },
    close: () => link.close(),
  };
}

/** Publishes persistently on the confirm channel, declaring the queue once per connection. */
async function publish(link: RabbitConnection, queue: string, message: unknown, timeoutMs: number) {
  for (let attempt = 0; ; attempt++) {
    await link.waitConnected(timeoutMs);
    const ch = link.pub!;
    try {
      if (!link.declared.has(queue)) {
        await declareQueue(ch, queue);
        link.declared.add(queue);
      }
      await new Promise<void>((resolve, reject) => {
        ch.sendToQueue(
          queue,
          Buffer.from(JSON.stringify(message)),
          { persistent: true, contentType: 'application/json' },
          (err) => (err ? reject(err) : resolve()),
        );
      });
      return;
    } catch (err) {
      // the channel closed under us: reconnect and publish again (at-least-once)
      if (attempt >= 5 || link.closed) throw err;
    }
  }
}
