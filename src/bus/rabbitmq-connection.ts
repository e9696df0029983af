// The RabbitMQ bus's one connection, re-established forever (backoff up to 10 s) with its consumers
// re-registered; unacked messages of a lost connection are redelivered by the broker.
import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import { type Sub, startConsumer } from './rabbitmq-consumer.js';

export interface ConnectionOptions {
  url: string;
  /** amqplib socket options (CA bundle, heartbeat). */
  socketOpts: Record<string, unknown>;
  onError: (err: unknown) => void;
  /** Called with a short sentence on connect/disconnect. */
  say: (msg: string) => void;
}

export class RabbitConnection {
  /** The live connection and its confirm channel for publishing; both undefined while reconnecting. */
  conn: ChannelModel | undefined;
  pub: ConfirmChannel | undefined;
  closed = false;
  /** Queues declared on the current connection. */
  readonly declared = new Set<string>();
  readonly subs: Sub[] = [];
  private connecting: Promise<void> | undefined;
  private waiters: (() => void)[] = [];

  constructor(private readonly o: ConnectionOptions) {}

  private async connectOnce(): Promise<void> {
    const c = await amqp.connect(this.o.url, this.o.socketOpts);
    c.on('error', this.o.onError);
    c.on('close', () => {
      if (this.conn !== c) return;
      this.conn = undefined;
      this.pub = undefined;
      this.declared.clear();
      for (const s of this.subs) s.channel = undefined;
      if (!this.closed) {
        this.o.say('connection to RabbitMQ lost; reconnecting');
        void this.ensureConnected();
      }
    });
    const p = await c.createConfirmChannel();
    p.on('error', this.o.onError);
    this.conn = c;
    this.pub = p;
    for (const s of this.subs) if (s.active) await startConsumer(c, s, this.o.onError);
    this.o.say('connected to RabbitMQ');
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private ensureConnected(): Promise<void> {
    if (this.conn || this.closed) return Promise.resolve();
    this.connecting ??= (async () => {
      let delay = 250;
      while (!this.closed && !this.conn) {
        try {
          await this.connectOnce();
        } catch (err) {
          this.o.onError(err);
          await new Promise((r) => setTimeout(r, delay));
          delay = Math.min(delay * 2, 10_000);
        }
      }
    })().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /** Resolves once connected; rejects after `timeoutMs` naming the (redacted) URL. */
  waitConnected(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.conn && this.pub) return resolve();
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        reject(new Error(`RabbitMQ is not reachable at ${redact(this.o.url)} (waited ${timeoutMs} ms)`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(t);
        resolve();
      };
      this.waiters.push(done);
      void this.ensureConnected();
    });
  }

  /** Stops reconnecting and closes the connection (and so every channel). */
  async close(): Promise<void> {
    this.closed = true;
    for (const s of this.subs) s.active = false;
    const c = this.conn;
    this.conn = undefined;
    await c?.close().catch(() => {});
  }
}

export const redact = (url: string) => url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
