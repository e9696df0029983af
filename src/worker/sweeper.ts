// The sweeper: every worker looks, every `periodMs`, for active executions that no worker holds (their
// lease lapsed: the worker died, or the message that would have brought it to a worker was lost) and
// resumes them through the lifecycle's resume (src/executions): a started execution is reset and sent
// to a worker again, which resumes it from its stored task graph; a cancelling one is sent again as is.
//
// A lapsed lease is taken over only when the sweeper saw the same lapsed lease on two successful looks
// at least one lease length apart: the database leader answered both times (a replica's answer, while
// nobody can write, proves nothing), and the owner did not renew in between. A database outage longer than the lease (every lease lapses, nobody could renew) thus does
// not hand running executions over the moment the database is back; their owners renew first. A look
// that fails forgets what was seen.
import type { Logger } from 'pino';
import type { Lifecycle } from '../executions/lifecycle.js';
import type { Db } from '../store/port.js';
import {
  type LapsedLease,
  lapsedLeases,
  releaseLease,
  takeOverLease,
} from '../store/repositories/execution-leases.js';

/** How often the sweeper looks. @default 5000 */
export const DEFAULT_SWEEP_MS = 5_000;

export interface SweeperOptions {
  db: Db;
  lifecycle: Pick<Lifecycle, 'act' | 'dispatch'>;
  /** The name the sweeper holds a lease under while it resets and re-sends an execution. */
  owner: string;
  leaseMs: number;
  periodMs?: number;
  log?: Logger;
}

export interface Sweeper {
  /** One look (the timer calls it; tests too). Resolves with the ids taken over. */
  sweep(): Promise<string[]>;
  stop(): void;
}

export function startSweeper(o: SweeperOptions): Sweeper {
  const seen = new Map<string, { until: string | null; at: number }>();
  let busy: Promise<string[]> | undefined;

  const takeOver = async (l: LapsedLease): Promise<boolean> => {
    if (!(await takeOverLease(o.db, l, o.owner, o.leaseMs))) return false;
    o.log?.warn(
      { execution_id: l.id, status: l.status, lease_until: l.lease_until },
      'execution has no live worker: resuming it',
    );
    try {
      if (l.status === 'started')
        await o.lifecycle.act({ id: l.id, storageId: l._storage_id, status: l.status }, 'resume');
      else await o.lifecycle.dispatch(l.id);
    } finally {
      // The worker that takes the message claims it; a failure here lets the lease lapse again.
      await releaseLease(o.db, l.id, o.owner).catch(() => {});
    }
    return true;
  };

  const look = async (): Promise<string[]> => {
    let lapsed: LapsedLease[];
    try {
      lapsed = await lapsedLeases(o.db);
    } catch {
      seen.clear();
      return [];
    }
    const now = Date.now();
    const taken: string[] = [];
    const current = new Set(lapsed.map((l) => l.id));
    for (const id of seen.keys()) if (!current.has(id)) seen.delete(id);
    for (const l of lapsed) {
      const before = seen.get(l.id);
      if (!before || before.until !== l.lease_until) {
        seen.set(l.id, { until: l.lease_until, at: now });
        continue;
      }
      if (now - before.at < o.leaseMs) continue;
      seen.delete(l.id);
      try {
        if (await takeOver(l)) taken.push(l.id);
      } catch (err) {
        o.log?.warn(
          { execution_id: l.id, err: (err as Error).message },
          'sweeper could not resume execution',
        );
      }
    }
    return taken;
  };

  const sweep = () => {
    busy ??= look().finally(() => {
      busy = undefined;
    });
    return busy;
  };
  const timer = setInterval(() => void sweep(), o.periodMs ?? DEFAULT_SWEEP_MS);
  timer.unref();
  return {
    sweep,
    stop: () => clearInterval(timer),
  };
}
