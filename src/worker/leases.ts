// One worker at a time runs an execution, across managers. A workflow message is acked only when its
// execution ends; when this worker's broker connection drops mid-run, RabbitMQ gives the message to
// another worker. That worker waits here while the claim is renewed (this worker still running it), and
// runs it (a resume from the stored graph) only once the claim lapses: the holder died.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Db } from '../store/port.js';
import { claimExecution, releaseLease, renewLeases } from '../store/repositories/execution-leases.js';
import { loadExecution } from '../store/repositories/executions.js';

/** A claim lapses this long after its last renewal (renewed every third of it). */
export const LEASE_TTL_MS = 6_000;

export interface Leases {
  /** Resolves true once this worker holds the claim; false when the execution ended meanwhile. */
  acquire(id: string, ended: (status: string) => boolean): Promise<boolean>;
  release(id: string): Promise<void>;
  stop(): void;
}

export function startLeases(db: Db, ttlMs = LEASE_TTL_MS): Leases {
  const owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const held = new Set<string>();
  const timer = setInterval(() => {
    renewLeases(db, [...held], owner, ttlMs).catch(() => {
      // The database is failing over: the next renewal (a third of the TTL later) tries again.
    });
  }, ttlMs / 3);
  timer.unref();
  return {
    async acquire(id, ended) {
      for (;;) {
        if (await claimExecution(db, id, owner, ttlMs)) {
          held.add(id);
          return true;
        }
        const exec = await loadExecution(db, id);
        if (!exec || ended(exec.status)) return false;
        await new Promise((r) => setTimeout(r, ttlMs / 3));
      }
    },
    async release(id) {
      held.delete(id);
      await releaseLease(db, id, owner).catch(() => {
        // Left to lapse by itself.
      });
    },
    stop() {
      clearInterval(timer);
    },
  };
}
