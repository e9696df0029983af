// The RabbitMQ bus's one connection, to one member of the broker cluster at a time. Connecting tries
// the members in turn, starting after the one that just failed (the first listed at start); a full
// pass that found none is followed by a backoff (250 ms doubling to 10 s) and another pass, forever.
// With a `registry`, every pass after the first asks it for the current members first (the managers'
// brokers table), so a broker registered since start is tried and a removed one is not; a registry
// that fails or names none leaves the list as it was.
// A new connection counts once its AMQP handshake and publishing channel are done, within
// connectTimeoutMs from the TCP connect: a broker that stalls there fails like one that refused the
// connection, and the next member is tried. Then every consumer is registered again on it, each retried
// with a backoff while the connection lives: a quorum queue without a leader (its leader's broker cut
// off, until the others notice) holds its consumer back without holding back publishing. The broker
// redelivers what the lost connection had not acked. Channels that close under a live connection (a
// channel error, a cancelled consumer) are opened again on it, and a watchdog registers again any
// consumer found without a channel.
import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import { type Sub, startConsumer } from './rabbitmq-consumer.js';
import { type CaBundle, type ConnectFailure, describeConnectError } from './rabbitmq-tls.js';
import type { AmqpTarget, Member } from './rabbitmq-url.js';

export interface ConnectionOptions {
  target: AmqpTarget;
  ca?: CaBundle;
  /** Give up one broker's TCP + TLS + AMQP handshake after this long and try the next. */
  connectTimeoutMs: number;
  onError: (err: unknown) => void;
  /** Called with a short sentence on connect/disconnect. */
  say: (msg: string) => void;
  /** The brokers registered now; asked before each reconnect pass. */
  registry?: () => Promise<Member[]>;
  /** How often the watchdog looks for consumers without a channel. @default 5000 */
  watchMs?: number;
}

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
}

export class RabbitConnection {
  /** The live connection and its confirm channel for publishing; undefined while (re)connecting. */
  conn: ChannelModel | undefined;
  pub: ConfirmChannel | undefined;
  /** The member the connection is on. */
  current: Member | undefined;
  closed = false;
  /** Queues declared on the current connection. */
  readonly declared = new Set<string>();
  readonly subs: Sub[] = [];
  /** The brokers tried, in order: the URL's, then the registry's. */
  members: Member[];
  /** Index of the member tried first by the next pass. */
  private next = 0;
  /** False until the first pass, which uses the URL's members as given. */
  private started = false;
  private connecting: Promise<void> | undefined;
  private waiters: Waiter[] = [];
  private lastFailures: ConnectFailure[] = [];
  /** Pending backoff pauses; close() ends them so that no timer outlives the bus. */
  private readonly naps = new Set<() => void>();

  private readonly watchdog: NodeJS.Timeout;

  constructor(private readonly o: ConnectionOptions) {
    this.members = o.target.members;
    this.watchdog = setInterval(() => this.watch(), o.watchMs ?? 5000);
    this.watchdog.unref();
  }

  private nap(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.naps.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.naps.add(done);
    });
  }

  private async connectTo(i: number): Promise<void> {
    const t = this.o.target;
    const m = this.members[i]!;
    const deadline = Date.now() + this.o.connectTimeoutMs;
    const connecting = amqp.connect(
      {
        protocol: t.protocol,
        hostname: m.host,
        port: m.port,
        username: t.username,
        password: t.password,
        vhost: t.vhost,
        heartbeat: t.heartbeat,
        ...(t.frameMax === undefined ? {} : { frameMax: t.frameMax }),
        ...(t.channelMax === undefined ? {} : { channelMax: t.channelMax }),
      },
      { ca: this.o.ca?.pem, timeout: this.o.connectTimeoutMs, noDelay: true },
    );
    // a connection that opens after its deadline is closed at once
    const c = await beforeDeadline(
      connecting,
      deadline,
      'the AMQP handshake',
      (late) => void late.close().catch(() => {}),
    );
    let dead = false;
    c.on('error', (err: Error) => this.o.onError(new Error(`RabbitMQ broker ${m.name}: ${err.message}`)));
    c.on('close', () => {
      dead = true;
      this.lost(c, i);
    });
    let p: ConfirmChannel;
    try {
      p = await beforeDeadline(this.openPub(c), deadline, 'opening a channel');
      if (dead) throw new Error('the connection closed while it was being set up');
    } catch (err) {
      await c.close().catch(() => {});
      throw new Error(`RabbitMQ broker ${m.name}: ${(err as Error).message}`, { cause: err });
    }
    if (this.closed) {
      await c.close().catch(() => {}); // the bus was closed while this connection was being set up
      return;
    }
    this.conn = c;
    this.pub = p;
    this.current = m;
    this.next = i;
    this.o.say(`connected to RabbitMQ ${m.name}`);
    for (const sub of this.subs) if (sub.active) void this.runSub(c, sub, false);
    this.wake();
  }

  /** A consumer's channel closed under the live connection `c`: register it again there. */
  private resub(c: ChannelModel, s: Sub): void {
    void this.nap(250).then(() => this.runSub(c, s, false));
  }

  /** Opens the confirm channel for publishing on `c`; a channel closed under a live `c` is reopened. */
  private async openPub(c: ChannelModel): Promise<ConfirmChannel> {
    const p = await c.createConfirmChannel();
    p.on('error', this.o.onError);
    p.on('close', () => {
      if (this.pub !== p) return;
      this.pub = undefined;
      // a connection closes its channels before it reports its own close: look once that has run
      setImmediate(() => {
        if (this.conn === c && !this.closed) void this.reopenPub(c);
      });
    });
    return p;
  }

  /**
   * Replaces the publishing channel `p` with a new one. RabbitMQ 3.10 nacks every later publish on a
   * channel whose first publish to a quorum queue found no leader (right after a broker died), even
   * once a new leader is elected; a new channel publishes normally.
   */
  dropPub(p: ConfirmChannel): void {
    const c = this.conn;
    if (this.pub !== p || !c) return;
    this.pub = undefined;
    void p.close().catch(() => {});
    void this.reopenPub(c);
  }

  private async reopenPub(c: ChannelModel): Promise<void> {
    for (let delay = 100; this.conn === c && !this.closed && !this.pub; delay = Math.min(delay * 2, 5000)) {
      try {
        const p = await this.openPub(c);
        if (this.conn !== c) return void p.close().catch(() => {});
        this.pub = p;
        this.wake();
      } catch (err) {
        this.o.onError(err);
        await this.nap(delay);
      }
    }
  }

  private lost(c: ChannelModel, i: number): void {
    if (this.conn !== c) return;
    this.conn = undefined;
    this.pub = undefined;
    this.current = undefined;
    this.declared.clear();
    for (const s of this.subs) s.channel = undefined;
    if (this.closed) return;
    const n = this.members.length;
    this.next = (i + 1) % n;
    const m = this.members[i]!;
    this.o.say(`connection to RabbitMQ ${m.name} lost; ${n > 1 ? 'trying the next broker' : 'reconnecting'}`);
    void this.ensureConnected();
  }

  /**
   * Registers `s` on `c`, again after its channel was lost, until it is registered or `c` is gone.
   * With `first`, the first failure is thrown instead (consume() reports it to its caller).
   */
  async runSub(c: ChannelModel, s: Sub, first: boolean): Promise<void> {
    if (s.starting) return;
    s.starting = true;
    try {
      for (let delay = 250; s.active && this.conn === c && !s.channel; delay = Math.min(delay * 2, 5000)) {
        try {
          s.conn = c;
          await startConsumer(c, s, this.o.onError, () => this.resub(c, s));
          return;
        } catch (err) {
          if (first) throw err;
          this.o.onError(err);
          await this.nap(delay);
        }
      }
    } finally {
      s.starting = false;
    }
  }

  /** The watchdog's look: a live connection and an active consumer without a channel → register it. */
  private watch(): void {
    const c = this.conn;
    if (!c || this.closed) return;
    for (const s of this.subs) {
      if (s.active && !s.channel && !s.starting) {
        this.o.say(`consumer of ${s.queue} found without a channel; registering it again`);
        void this.runSub(c, s, false);
      }
    }
  }

  /** Takes the registry's members, keeping the turn: the next pass starts where it would have. */
  private async refresh(): Promise<void> {
    if (!this.o.registry) return;
    let fresh: Member[];
    try {
      fresh = await this.o.registry();
    } catch (err) {
      this.o.onError(new Error(`the broker registry could not be read: ${(err as Error).message}`));
      return;
    }
    const names = (l: Member[]) => l.map((m) => m.name).join(',');
    if (fresh.length === 0 || names(fresh) === names(this.members)) return;
    const due = this.members[this.next]?.name;
    this.members = fresh;
    this.next = Math.max(
      0,
      fresh.findIndex((m) => m.name === due),
    );
    this.o.say(`RabbitMQ brokers now ${fresh.map((m) => m.name).join(', ')} (from the registry)`);
  }

  /** One pass over every member, starting at `next`; true when one of them took the connection. */
  private async pass(): Promise<boolean> {
    const members = this.members;
    const failures: ConnectFailure[] = [];
    const start = this.next;
    for (let k = 0; k < members.length && !this.closed && !this.conn; k++) {
      const i = (start + k) % members.length;
      try {
        await this.connectTo(i);
      } catch (err) {
        const f = describeConnectError(err, members[i]!, this.o.ca);
        failures.push(f);
        this.o.onError(new Error(f.line));
      }
    }
    if (this.conn || this.closed) return true;
    this.lastFailures = failures;
    // every broker refused our certificate check or login: waiting longer will not help the callers
    if (failures.length > 0 && failures.every((f) => f.permanent)) this.fail(failures[0]!.line);
    return false;
  }

  private ensureConnected(): Promise<void> {
    if (this.conn || this.closed) return Promise.resolve();
    this.connecting ??= (async () => {
      for (let delay = 250; ; delay = Math.min(delay * 2, 10_000)) {
        if (this.started) await this.refresh();
        this.started = true;
        if (await this.pass()) return;
        await this.nap(delay);
      }
    })().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private wake(): void {
    if (!this.conn || !this.pub) return;
    const w = this.waiters;
    this.waiters = [];
    for (const x of w) x.resolve();
  }

  private fail(line: string): void {
    const w = this.waiters;
    this.waiters = [];
    for (const x of w) x.reject(new Error(line));
  }

  /** Resolves once connected with a publishing channel; rejects after `timeoutMs` naming the brokers. */
  waitConnected(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.conn && this.pub) return resolve();
      if (this.closed) return reject(new Error('the RabbitMQ bus is closed'));
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        const names = this.members.map((m) => m.name).join(', ');
        const last = this.lastFailures.map((f) => f.line).join('; ');
        reject(
          new Error(
            `RabbitMQ is not reachable at ${names} (waited ${timeoutMs} ms)${last ? `: ${last}` : ''}`,
          ),
        );
      }, timeoutMs);
      const waiter: Waiter = {
        resolve: () => {
          clearTimeout(t);
          resolve();
        },
        reject: (err) => {
          clearTimeout(t);
          reject(err);
        },
      };
      this.waiters.push(waiter);
      void this.ensureConnected();
    });
  }

  /** Stops reconnecting and closes the connection (and so every channel). */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.watchdog);
    this.fail('the RabbitMQ bus is closed');
    for (const wakeUp of [...this.naps]) wakeUp();
    for (const s of this.subs) s.active = false;
    const c = this.conn;
    this.conn = undefined;
    this.pub = undefined;
    this.current = undefined;
    await c?.close().catch(() => {});
  }
}

/** `p`, or a rejection naming `what` once `deadline` passed; `late` gets what `p` gives after that. */
function beforeDeadline<T>(p: Promise<T>, deadline: number, what: string, late?: (v: T) => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let over = false;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => {
        over = true;
        reject(new Error(`${what} did not finish within the connect timeout`));
      },
      Math.max(0, deadline - Date.now()),
    );
  });
  p.then(
    (v) => {
      if (over) late?.(v);
    },
    () => {},
  );
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
