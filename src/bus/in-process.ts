// The in-process bus of the embedded default: FIFO queues in memory with the same late-ack and
// redelivery semantics as the RabbitMQ adapter, for one process holding manager and worker.
import type { Bus, Consumer, Handler } from './port.js';

interface Sub {
  handler: Handler;
  prefetch: number;
  inFlight: number;
  active: boolean;
}

interface Queue {
  messages: unknown[];
  subs: Sub[];
  next: number;
}

export function createInProcessBus(onError: (err: unknown) => void = () => {}): Bus {
  const queues = new Map<string, Queue>();
  const queueOf = (name: string) => {
    let q = queues.get(name);
    if (!q) {
      q = { messages: [], subs: [], next: 0 };
      queues.set(name, q);
    }
    return q;
  };

  // Hand messages to consumers with free slots, round-robin, until none is free or the queue is empty.
  const pump = (q: Queue) => {
    while (q.messages.length) {
      const free = q.subs.filter((s) => s.active && s.inFlight < s.prefetch);
      if (free.length === 0) return;
      const sub = free[q.next++ % free.length];
      const msg = q.messages.shift();
      sub.inFlight++;
      void Promise.resolve()
        .then(() => sub.handler(msg))
        .catch((err) => {
          onError(err);
          // A handler that failed did not ack: requeue at the front, as RabbitMQ's nack-requeue does
          // (also when its consumer was cancelled meanwhile: an unacked message is never lost).
          q.messages.unshift(msg);
        })
        .finally(() => {
          sub.inFlight--;
          setImmediate(() => pump(q));
        });
    }
  };

  return {
    async publish(queue, message) {
      const q = queueOf(queue);
      q.messages.push(structuredClone(message));
      pump(q);
    },
    async consume(queue, handler, opts = {}) {
      const q = queueOf(queue);
      const sub: Sub = { handler, prefetch: Math.max(1, opts.prefetch ?? 1), inFlight: 0, active: true };
      q.subs.push(sub);
      pump(q);
      const consumer: Consumer = {
        async cancel() {
          sub.active = false;
          q.subs = q.subs.filter((s) => s !== sub);
        },
      };
      return consumer;
    },
    async close() {
      for (const q of queues.values()) for (const s of q.subs) s.active = false;
      queues.clear();
    },
  };
}
