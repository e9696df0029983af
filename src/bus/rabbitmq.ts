// The RabbitMQ adapter of the Bus port (server setup). Queues are durable quorum queues; messages are
// persistent and `publish` resolves only after the broker confirmed them (confirm channel). Each
// consumer has its own channel with a bounded prefetch and acks late, after its handler resolved; a
// handler that throws is nacked and requeued. The connection is re-established forever (backoff up to
// 10 s) and consumers are re-registered; unacked messages of a lost connection are redelivered by
// the broker. TLS: an amqps:// URL, optionally with a CA bundle.
import { readFileSync } from 'node:fs';
import amqp, { type Channel, type ChannelModel, type ConfirmChannel } from 'amqplib';
import type { Bus, Consumer, Handler } from './port.js';

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

interface Sub {
  queue: string;
  handler: Handler;
  prefetch: number;
  active: boolean;
  channel?: Channel;
  tag?: string;
}

export const QUORUM_ARGS = { 'x-queue-type': 'quorum' };

function caOf(ca: string | undefined): Buffer[] | undefined {
  if (!ca) return undefined;
  return [Buffer.from(ca.includes('-----BEGIN') ? ca : readFileSync(ca, 'utf8'))];
}

export async function createRabbitBus(o: RabbitBusOptions): Promise<Bus> {
  let conn: ChannelModel | undefined;
  let pub: ConfirmChannel | undefined;
  let closed = false;
  let connecting: Promise<void> | undefined;
  let waiters: (() => void)[] = [];
  const declared = new Set<string>();
  const subs: Sub[] = [];
  const socketOpts = { ca: caOf(o.ca), heartbeat: 15 } as Record<string, unknown>;
  const onError = o.onError ?? (() => {});
  const say = o.onState ?? (() => {});

  const declare = async (ch: Channel, queue: string) => {
    await ch.assertQueue(queue, { durable: true, arguments: QUORUM_ARGS });
  };

  const setupConsumer = async (c: ChannelModel, s: Sub) => {
    const ch = await c.createChannel();
    ch.on('error', onError);
    await declare(ch, s.queue);
    await ch.prefetch(s.prefetch);
    s.channel = ch;
    const r = await ch.consume(
      s.queue,
      (msg) => {
        if (!msg) return; // consumer cancelled by the broker; reconnect logic re-registers it
        let body: unknown;
        try {
          body = JSON.parse(msg.content.toString('utf8'));
        } catch (err) {
          onError(err);
          ch.nack(msg, false, false); // a message that is not JSON can never be handled
          return;
        }
        Promise.resolve()
          .then(() => s.handler(body))
          .then(
            () => {
              try {
                ch.ack(msg);
              } catch {} // the channel died meanwhile: the broker redelivers it
            },
            (err) => {
              onError(err);
              try {
                if (s.active) ch.nack(msg, false, true);
              } catch {}
            },
          );
      },
      { noAck: false },
    );
    s.tag = r.consumerTag;
  };

  const connectOnce = async () => {
    const c = await amqp.connect(o.url, socketOpts);
    c.on('error', onError);
    c.on('close', () => {
      if (conn !== c) return;
      conn = undefined;
      pub = undefined;
      declared.clear();
      for (const s of subs) s.channel = undefined;
      if (!closed) {
        say('connection to RabbitMQ lost; reconnecting');
        void ensureConnected();
      }
    });
    const p = await c.createConfirmChannel();
    p.on('error', onError);
    conn = c;
    pub = p;
    for (const s of subs) if (s.active) await setupConsumer(c, s);
    say('connected to RabbitMQ');
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };

  const ensureConnected = (): Promise<void> => {
    if (conn || closed) return Promise.resolve();
    connecting ??= (async () => {
      let delay = 250;
      while (!closed && !conn) {
        try {
          await connectOnce();
        } catch (err) {
          onError(err);
          await new Promise((r) => setTimeout(r, delay));
          delay = Math.min(delay * 2, 10_000);
        }
      }
    })().finally(() => {
      connecting = undefined;
    });
    return connecting;
  };

  const waitConnected = (timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      if (conn && pub) return resolve();
      const t = setTimeout(() => {
        waiters = waiters.filter((w) => w !== done);
        reject(new Error(`RabbitMQ is not reachable at ${redact(o.url)} (waited ${timeoutMs} ms)`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(t);
        resolve();
      };
      waiters.push(done);
      void ensureConnected();
    });

  // The first connection is awaited with the same patience as a publish, so a bad URL fails loudly.
  await waitConnected(o.publishTimeoutMs ?? 30_000);

  return {
    async publish(queue, message) {
      for (let attempt = 0; ; attempt++) {
        await waitConnected(o.publishTimeoutMs ?? 30_000);
        const ch = pub!;
        try {
          if (!declared.has(queue)) {
            await declare(ch, queue);
            declared.add(queue);
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
          if (attempt >= 5 || closed) throw err;
        }
      }
    },
    async consume(queue, handler, opts = {}) {
      const s: Sub = { queue, handler, prefetch: Math.max(1, opts.prefetch ?? 1), active: true };
      subs.push(s);
      if (conn) await setupConsumer(conn, s);
      const consumer: Consumer = {
        async cancel() {
          s.active = false;
          subs.splice(subs.indexOf(s), 1);
          // closing the channel returns its unacked messages to the queue
          await s.channel?.close().catch(() => {});
        },
      };
      return consumer;
    },
    async close() {
      closed = true;
      for (const s of subs) s.active = false;
      const c = conn;
      conn = undefined;
      await c?.close().catch(() => {});
    },
  };
}

export const redact = (url: string) => url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
