// The Bus port's contract (src/bus/port.ts), run against every adapter: FIFO delivery, prefetch
// bounds what is in flight, late ack (a handler that throws gets the message again), a cancelled
// consumer's unacked messages go to another consumer, and competing consumers share the work.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, it } from 'node:test';
import type { Bus } from '../../src/bus/port.js';

export interface BusFixture {
  open(): Promise<Bus>;
  close?(): Promise<void>;
}

const deadline = async (what: string, ok: () => boolean, ms = 20_000) => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

export function busContract(fx: BusFixture): void {
  let bus: Bus;
  before(async () => {
    bus = await fx.open();
  });
  after(async () => {
    await bus?.close();
    await fx.close?.();
  });
  const q = () => `test.${randomUUID()}`;

  it('delivers in FIFO order to one consumer', async () => {
    const name = q();
    for (let i = 0; i < 5; i++) await bus.publish(name, { i });
    const seen: number[] = [];
    const c = await bus.consume(name, async (m) => {
      seen.push((m as { i: number }).i);
    });
    await deadline('5 messages', () => seen.length === 5);
    assert.deepEqual(seen, [0, 1, 2, 3, 4]);
    await c.cancel();
  });

  it('keeps at most prefetch messages in flight', async () => {
    const name = q();
    let inFlight = 0;
    let max = 0;
    let done = 0;
    const c = await bus.consume(
      name,
      async () => {
        inFlight++;
        max = Math.max(max, inFlight);
        await new Promise((r) => setTimeout(r, 30));
        inFlight--;
        done++;
      },
      { prefetch: 2 },
    );
    for (let i = 0; i < 6; i++) await bus.publish(name, i);
    await deadline('6 handled', () => done === 6);
    assert.equal(max, 2);
    await c.cancel();
  });

  it('acks late: a handler that throws gets the message again', async () => {
    const name = q();
    let calls = 0;
    const c = await bus.consume(name, async () => {
      calls++;
      if (calls === 1) throw new Error('first try fails');
    });
    await bus.publish(name, { x: 1 });
    await deadline('redelivery', () => calls >= 2);
    await c.cancel();
  });

  it("gives a cancelled consumer's unacked message to another consumer", async () => {
    const name = q();
    let release!: () => void;
    const blocked = new Promise<void>((r) => {
      release = r;
    });
    let firstGot = 0;
    const c1 = await bus.consume(name, async () => {
      firstGot++;
      await blocked;
      throw new Error('consumer went away');
    });
    await bus.publish(name, { job: 1 });
    await deadline('first consumer to take it', () => firstGot === 1);
    const got: unknown[] = [];
    const c2 = await bus.consume(name, async (m) => {
      got.push(m);
    });
    await c1.cancel();
    release();
    await deadline('the second consumer to get it', () => got.length === 1);
    assert.deepEqual(got[0], { job: 1 });
    await c2.cancel();
  });

  it('shares work between competing consumers, each message once', async () => {
    const name = q();
    const a: number[] = [];
    const b: number[] = [];
    const slow = (into: number[]) => async (m: unknown) => {
      await new Promise((r) => setTimeout(r, 20));
      into.push(m as number);
    };
    const ca = await bus.consume(name, slow(a), { prefetch: 1 });
    const cb = await bus.consume(name, slow(b), { prefetch: 1 });
    for (let i = 0; i < 10; i++) await bus.publish(name, i);
    await deadline('10 handled', () => a.length + b.length === 10);
    assert.deepEqual(
      [...a, ...b].sort((x, y) => x - y),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    assert.ok(a.length > 0 && b.length > 0, `both consumers worked (${a.length}/${b.length})`);
    await ca.cancel();
    await cb.cancel();
  });
}
