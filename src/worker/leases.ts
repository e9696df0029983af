// One worker at a time runs an execution, across managers. A workflow message is acked only when its
// execution ends; when this worker's broker connection drops mid-run, RabbitMQ gives the message to
// another worker. That worker waits here while the claim is renewed (this worker still running it), and
// runs it (a resume from the stored graph) only once the claim lapsed and stayed so for a whole TTL: the
// holder died. The claim is
// also the execution's liveness record: a sweeper (sweeper.ts) resumes an active execution whose claim
// lapsed. A renewal that finds a claim gone (taken over after this worker could not renew it, through
// a long database outage) reports it through `onLost`, and the worker abandons its run.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Db } from '../store/port.js';
import {
  claimExecution,
  leaseOf,
  releaseLease,
  renewLeases,
} from '../store/repositories/execution-leases.js';

/** A claim lapses this long after its last renewal (renewed every third of it). */
export const LEASE_TTL_MS = 6_000;

export interface Leases {
  /** Resolves true once this worker holds the claim; false when the execution ended meanwhile. */
  acquire(id: string, ended: (status: string) => boolean): Promise<boolean>;
  release(id: string): Promise<void>;
  stop(): void;
}

/** A name for this worker process, unique across managers and restarts. */
export const newOwnerName = (): string => `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;

export interface LeaseOptions {
  /** For claims: the worker's store, which rides out an outage (store-retry.ts). */
  db: Db;
  /** For renewals and releases: the store as it is (a failed renewal is followed by the next). */
  renewDb?: Db;
  ttlMs?: number;
  /** A claim this worker held was found taken over by another. */
  onLost?: (id: string) => void;
  owner?: string;
}

export function startLeases(o: LeaseOptions): Leases {
  const { db, ttlMs = LEASE_TTL_MS, onLost = () => {}, owner = newOwnerName() } = o;
  const renewDb = o.renewDb ?? db;
  const held = new Set<string>();
  let renewing = false;
  const timer = setInterval(() => {
    if (renewing) return;
    renewing = true;
    const ids = [...held];
    renewLeases(renewDb, ids, owner, ttlMs)
      .then((kept) => {
        for (const id of ids) if (held.has(id) && !kept.has(id)) onLost(id);
      })
      .catch(() => {
        // The database is failing over: the next renewal (a third of the TTL later) tries again.
      })
      .finally(() => {
        renewing = false;
      });
  }, ttlMs / 3);
  timer.unref();
  return {
    async acquire(id, ended) {
      // A lapsed claim is taken only once seen lapsed and unchanged for a whole TTL, as the sweeper
      // does: a holder under load may renew late once, and two runs of one execution would run some
      // operations twice.
      let seen: { until: string | null; at: number } | undefined;
      for (;;) {
        const l = await leaseOf(db, id);
        if (!l || ended(l.status)) return false;
        const stale = l.lapsed && seen?.until === l.lease_until && Date.now() - seen.at >= ttlMs;
        if (
          (l.lease_owner === null || l.lease_owner === owner || stale) &&
          (await claimExecution(db, id, owner, ttlMs, stale ? (l.lease_until ?? undefined) : undefined))
        ) {
          held.add(id);
          return true;
        }
        if (!l.lapsed) seen = undefined;
        else if (seen?.until !== l.lease_until) seen = { until: l.lease_until, at: Date.now() };
        await new Promise((r) => setTimeout(r, ttlMs / 3));
      }
    },
    async release(id) {
      held.delete(id);
      await releaseLease(renewDb, id, owner).catch(() => {
        // Left to lapse by itself.
      });
    },
    stop() {
      clearInterval(timer);
    },
  };
}
