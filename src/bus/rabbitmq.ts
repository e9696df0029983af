// The RabbitMQ adapter of the Bus port (server setup). Queues are durable quorum queues (replicated
// on the cluster's brokers); messages are persistent and `publish` resolves only after the broker
// confirmed them (confirm channel). Each consumer has its own channel with a bounded prefetch and
// acks late, after its handler resolved; a handler that throws is nacked and requeued
// (rabbitmq-consumer.ts).
//
// Brokers: the URL names one broker or every member of the cluster, like the database URL:
//   amqps://user:password@10.0.0.21:5671,10.0.0.22:5671,10.0.0.23:5671/vhost
// (rabbitmq-url.ts). The bus holds one connection, to the first member that answers; when it is lost
// it tries the next members in turn (rabbitmq-connection.ts), registers the consumers again, and the
// broker redelivers what was not acked. A publish made meanwhile waits for the new connection (at
// most publishTimeoutMs) and is sent again if its confirm was lost with the old one: at-least-once.
// With `registry` (the managers' brokers table), a reconnect tries the brokers registered at that
// moment, so `cfy cluster brokers add|remove` reaches running managers without a restart.
// TLS (amqps://): every broker's chain is verified against the CA (`ca`: a PEM file or PEM text) and
// its certificate must name the address used in the URL (SANs); a failure is one line naming the
// broker and the CA file (rabbitmq-tls.ts). `redact` keeps the password out of logs.
import type { Bus, Consumer } from './port.js';
import { RabbitConnection } from './rabbitmq-connection.js';
import { declareQueue, type Sub } from './rabbitmq-consumer.js';
import { loadCa } from './rabbitmq-tls.js';
import { member, parseAmqpUrl } from './rabbitmq-url.js';

export { parseAmqpUrl, redact } from './rabbitmq-url.js';

export interface RabbitBusOptions {
  /** `amqp[s]://user:password@host[:port][,host[:port]…][/vhost][?heartbeat=s]`: one broker or all. */
  url: string;
  /** PEM CA bundle (contents or a file path) that signed the brokers' certificates, for amqps://. */
  ca?: string;
  /** A publish waits this long for a connection and the broker's confirm. @default 30000 */
  publishTimeoutMs?: number;
  /** One broker's connect (TCP, TLS, AMQP handshake) gives up after this long. @default 5000 */
  connectTimeoutMs?: number;
  /** Heartbeat in seconds when the URL has no `heartbeat`; a silent broker is dropped after 2. @default 5 */
  heartbeatS?: number;
  onError?: (err: unknown) => void;
  /** Called with a short sentence on connect/disconnect (for logs and tests). */
  onState?: (msg: string) => void;
  /** The brokers registered now (address and AMQP port), asked before each reconnect. */
  registry?: () => Promise<{ host: string; port: number }[]>;
}

export interface RabbitBus extends Bus {
  /** The broker (`host:port`) the bus is connected to; undefined while it is switching. */
  connectedTo(): string | undefined;
}

export async function createRabbitBus(o: RabbitBusOptions): Promise<RabbitBus> {
  const onError = o.onError ?? (() => {});
  const target = parseAmqpUrl(o.url, o.heartbeatS ?? 5);
  const link = new RabbitConnection({
    target,
    ca: target.protocol === 'amqps' ? loadCa(o.ca) : undefined,
    connectTimeoutMs: o.connectTimeoutMs ?? 5000,
    onError,
    say: o.onState ?? (() => {}),
    ...(o.registry ? { registry: async () => (await o.registry!()).map((b) => member(b.host, b.port)) } : {}),
  });
  const publishTimeoutMs = o.publishTimeoutMs ?? 30_000;

  // The first connection is awaited with the same patience as a publish, so a bad URL fails loudly;
  // a certificate or login every broker refuses fails at once.
  try {
    await link.waitConnected(publishTimeoutMs);
  } catch (err) {
    await link.close();
    throw err;
  }

  return {
    publish: (queue, message) => publish(link, queue, message, publishTimeoutMs),
    async consume(queue, handler, opts = {}) {
      const s: Sub = { queue, handler, prefetch: Math.max(1, opts.prefetch ?? 1), active: true };
      link.subs.push(s);
      try {
        if (link.conn) await link.runSub(link.conn, s, true);
      } catch (err) {
        s.active = false;
        link.subs.splice(link.subs.indexOf(s), 1);
        throw err;
      }
      const consumer: Consumer = {
        async cancel() {
          s.active = false;
          const i = link.subs.indexOf(s);
          if (i >= 0) link.subs.splice(i, 1);
          // closing the channel returns its unacked messages to the queue
          await s.channel?.close().catch(() => {});
        },
      };
      return consumer;
    },
    close: () => link.close(),
    connectedTo: () => link.current?.name,
  };
}

/** Channel errors that a retry cannot fix: access refused, not found, a queue declared otherwise. */
const FATAL_CODES = new Set([403, 404, 406]);

/**
 * Publishes persistently on the confirm channel, declaring the queue once per connection. A publish
 * whose connection or channel went away is sent again on the next one, until `timeoutMs` is spent.
 */
async function publish(link: RabbitConnection, queue: string, message: unknown, timeoutMs: number) {
  const body = Buffer.from(JSON.stringify(message));
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const left = end - Date.now();
    if (left <= 0) {
      const why = last instanceof Error ? `: ${last.message}` : '';
      throw new Error(`RabbitMQ did not confirm a message to ${queue} within ${timeoutMs} ms${why}`);
    }
    await link.waitConnected(left);
    const ch = link.pub!;
    try {
      await withDeadline(sendOnce(link, ch, queue, body), end - Date.now());
      return;
    } catch (err) {
      if (link.closed || FATAL_CODES.has((err as { code?: number }).code!)) throw err;
      last = err;
      // a nack: send again on a new channel (see dropPub) after a pause, as after a deadline
      if ((err as Error).message === 'message nacked') link.dropPub(ch);
      if (link.pub === ch || !link.pub) await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function sendOnce(
  link: RabbitConnection,
  ch: NonNullable<RabbitConnection['pub']>,
  q: string,
  b: Buffer,
) {
  if (!link.declared.has(q)) {
    await declareQueue(ch, q);
    link.declared.add(q);
  }
  await new Promise<void>((resolve, reject) => {
    ch.sendToQueue(q, b, { persistent: true, contentType: 'application/json' }, (err) =>
      err ? reject(err) : resolve(),
    );
  });
}

function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(new Error(`no confirm within the publish timeout`)), Math.max(ms, 0));
  });
  return Promise.race([p, late]).finally(() => clearTimeout(t));
}
