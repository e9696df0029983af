// Failed-login bookkeeping of one REST process. Two rules, neither of which lets a stranger lock a
// user out everywhere:
// - lock-out per (username, client address): after `failedLoginsBeforeLock` wrong passwords from one
//   address (Cloudify's failed_logins_before_account_lock), that address may not log in as that
//   username for `accountLockMinutes` (account_lock_period); other addresses still can. Names that do
//   not exist are counted and locked the same way, so no answer tells whether a user exists;
// - a rate limit per client address: after `loginFailuresPerMinute` failed logins from one address in
//   a minute, whatever the usernames, that address's Basic logins are refused for the rest of it.
// Both live in memory: each REST process (and each manager of a cluster) counts its own.
import { LRUCache } from 'lru-cache';
import type { ManagerConfig } from '../config.js';

type GuardConfig = Pick<
  ManagerConfig,
  'failedLoginsBeforeLock' | 'accountLockMinutes' | 'loginFailuresPerMinute'
>;

interface Failures {
  count: number;
  last: number;
}

/** Entries kept at most; the least recently failed go first (a flood of made-up names cannot grow memory). */
const MAX_ENTRIES = 100_000;
type Counts = LRUCache<string, Failures>;
const WINDOW_MS = 60_000;

export class LoginGuard {
  private byUser: Counts = new LRUCache({ max: MAX_ENTRIES });
  private byAddress: Counts = new LRUCache({ max: MAX_ENTRIES });

  constructor(private config: GuardConfig) {}

  /** Whether `address` may still try a password at all this minute. */
  addressBlocked(address: string, now = Date.now()): boolean {
    const f = this.byAddress.get(address);
    if (!f || now - f.last >= WINDOW_MS) return false;
    return f.count >= this.config.loginFailuresPerMinute;
  }

  /** Whether `username` is locked for logins from `address`. */
  locked(username: string, address: string, now = Date.now()): boolean {
    const f = this.byUser.get(key(username, address));
    return f !== undefined && this.isLock(f, now);
  }

  /** Whether `username` is locked for some address (the users list's is_locked). */
  lockedAnywhere(username: string, now = Date.now()): boolean {
    const prefix = `${username}\0`;
    for (const [k, f] of this.byUser) if (k.startsWith(prefix) && this.isLock(f, now)) return true;
    return false;
  }

  failed(username: string, address: string, now = Date.now()): void {
    bump(this.byUser, key(username, address), now, this.lockMs());
    bump(this.byAddress, address, now, WINDOW_MS);
  }

  succeeded(username: string, address: string): void {
    this.byUser.delete(key(username, address));
  }

  /** `cfy users unlock`: every address's lock of this username. */
  unlock(username: string): void {
    const prefix = `${username}\0`;
    for (const k of [...this.byUser.keys()]) if (k.startsWith(prefix)) this.byUser.delete(k);
  }

  private lockMs(): number {
    return this.config.accountLockMinutes * 60_000;
  }

  private isLock(f: Failures, now: number): boolean {
    if (this.config.accountLockMinutes < 0) return false;
    return f.count >= this.config.failedLoginsBeforeLock && now - f.last < this.lockMs();
  }
}

const key = (username: string, address: string) => `${username}\0${address}`;

/** One more failure; a count older than `ttlMs` starts again from one. */
function bump(map: Counts, k: string, now: number, ttlMs: number): void {
  const f = map.get(k);
  map.set(k, f && now - f.last < ttlMs ? { count: f.count + 1, last: now } : { count: 1, last: now });
}
