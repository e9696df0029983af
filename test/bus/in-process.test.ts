import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createInProcessBus } from '../../src/bus/in-process.js';

test('messages go to competing consumers in FIFO order, bounded by prefetch', async () => {
  const bus = createInProcessBus();
  const seen: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const done = new Promise<void>((resolve) => {
    void bus.consume(
      'q',
      async (m) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        seen.push(m as number);
        inFlight--;
        if (seen.length === 6) resolve();
      },
      { prefetch: 2 },
    );
  });
  for (let i = 0; i < 6; i++) await bus.publish('q', i);
  await done;
  assert.deepEqual([...seen].sort(), [0, 1, 2, 3, 4, 5]);
  assert.equal(maxInFlight, 2);
  await bus.close();
});

test('a failed handler does not ack: the message is delivered again', async () => {
  const bus = createInProcessBus();
  let attempts = 0;
  const done = new Promise<void>((resolve) => {
    void bus.consume('q', async () => {
      attempts++;
      if (attempts === 1) throw new Error('worker died mid-message');
      resolve();
    });
  });
  await bus.publish('q', { id: 'e1' });
  await done;
  assert.equal(attempts, 2);
  await bus.close();
});
