// The credential chain of rest-api.md §2.2: Execution-Token, then HTTP Basic, then an API token.
// Returns who is calling and in which tenant; permission checks happen per route in app.ts.
import { LRUCache } from 'lru-cache';
import type { Db } from '../../store/port.js';
import { tenantWithRole } from '../../store/repositories/tenants.js';
import { touchToken } from '../../store/repositories/tokens.js';
import {
  type CredentialRow,
  credentialsByApiToken,
  credentialsByExecutionToken,
  credentialsByUsername,
  recordFailedLogin,
  recordLogin,
} from '../../store/repositories/users.js';
import type { ManagerConfig } from '../config.js';
import { forbidden, NO_AUTH_MESSAGE, unauthorized } from '../../common/errors.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { LoginGuard } from './login-guard.js';
import { randomBytes } from 'node:crypto';
import { bounded } from '../../common/bounded.js';
import { parseToken, sha256 } from '../../common/tokens.js';

export interface AuthContext {
  user: { id: number; username: string; systemRole: string };
  tenant?: { id: number; name: string };
  /** System role plus the role in the request tenant, if any. */
  roles: string[];
  /** Set when the caller used an execution token. */
  execution?: { storageId: number; id: string };
}

const ACTIVE_STATES = ['pending', 'started', 'cancelling', 'force_cancelling', 'kill_cancelling'];

// Basic credentials verified in the last minute (a hash of them) → the stored hash they matched. Both
// caches are bounded: the least recently used entries go first.
const basicCache = new LRUCache<string, string>({ max: 10_000, ttl: 60_000 });
// API tokens whose last_used was written in the last 10 s (written at most that often).
const tokenTouched = new LRUCache<string, true>({ max: 10_000, ttl: 10_000 });

// Login bookkeeping (counters, last login, a token's last use) is bounded (common/bounded.ts): while the
// database has no leader, a read-only request still answers from a replica (decision 26).

export class Authenticator {
  private guard: LoginGuard;
  /** The Basic check running (or last queued) per username and client address. */
  private checking = new Map<string, Promise<void>>();

  constructor(
    private db: Db,
    config: ManagerConfig,
  ) {
    this.guard = new LoginGuard(config);
  }

  /** `address` is the client's (lock-out and rate limit of failed logins, login-guard.ts). */
  async authenticate(
    headers: Record<string, string | string[] | undefined>,
    address = '',
  ): Promise<AuthContext> {
    const h = (name: string) => {
      const v = headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const execToken = h('execution-token');
    const apiToken = h('authentication-token');
    const basic = h('authorization');
    let ctx: Omit<AuthContext, 'tenant' | 'roles'>;
    if (execToken || (apiToken && !apiToken.startsWith('ctok-'))) {
      ctx = await this.byExecutionToken((execToken ?? apiToken)!);
    } else if (basic?.toLowerCase().startsWith('basic ')) {
      ctx = await this.byBasic(basic.slice(6).trim(), address);
    } else if (apiToken) {
      ctx = await this.byApiToken(apiToken);
    } else {
      throw unauthorized(NO_AUTH_MESSAGE);
    }
    return this.withTenant(ctx, h('tenant'));
  }

  private async withTenant(
    ctx: Omit<AuthContext, 'tenant' | 'roles'>,
    tenantName?: string,
  ): Promise<AuthContext> {
    const roles = [ctx.user.systemRole];
    if (tenantName === undefined || tenantName === '') return { ...ctx, roles };
    const t = await tenantWithRole(this.db, tenantName, ctx.user.id);
    if (!t) {
      throw forbidden(`Authorization failed: Tried to authenticate with invalid tenant name: ${tenantName}`);
    }
    if (t.role) roles.push(t.role);
    return { ...ctx, tenant: { id: t.id, name: t.name }, roles };
  }

  private async byExecutionToken(token: string) {
    const u = await credentialsByExecutionToken(this.db, sha256(token), ACTIVE_STATES);
    if (!u) throw unauthorized('User unauthorized: invalid Execution Token');
    return { user: this.userOf(u), execution: { storageId: u.exec_storage_id, id: u.exec_id } };
  }

  private async byBasic(encoded: string, address: string) {
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const username = colon < 0 ? decoded : decoded.slice(0, colon);
    const password = colon < 0 ? '' : decoded.slice(colon + 1);
    if (!/^[A-Za-z][^\0]*$/.test(username)) throw unauthorized(NO_AUTH_MESSAGE);
    // One check at a time per username and address: concurrent guesses each see the failures before
    // them (so they cannot beat the lock), and a burst of right ones is verified once, then cached.
    return this.oneAtATime(`${username}\0${address}`, () => this.checkBasic(username, password, address));
  }

  private oneAtATime<T>(key: string, check: () => Promise<T>): Promise<T> {
    const run = (this.checking.get(key) ?? Promise.resolve()).then(check);
    const settled = run.then(
      () => {},
      () => {},
    );
    this.checking.set(key, settled);
    void settled.then(() => {
      if (this.checking.get(key) === settled) this.checking.delete(key);
    });
    return run;
  }

  private async checkBasic(username: string, password: string, address: string) {
    // The same answers whether the user exists or not: a wrong password and an unknown name fail alike,
    // after the same bcrypt work, and a made-up name locks like a real one.
    if (this.guard.addressBlocked(address))
      throw unauthorized(
        'User unauthorized: too many failed logins from this address; try again in a minute',
      );
    if (this.guard.locked(username, address))
      throw unauthorized(`User unauthorized: User ${username} is locked`);
    const u = await credentialsByUsername(this.db, username);
    // Credentials verified in the last minute pass without bcrypt while the stored hash is the one they
    // were verified against (a password change ends that at once).
    const cacheKey = sha256(`${username}\0${password}`);
    if (u && basicCache.get(cacheKey) === u.password) {
      this.checkActive(u);
      return { user: this.userOf(u) };
    }
    const ok = await verifyPassword(password, u?.password ?? (await dummyHash()));
    if (!u || !ok) {
      this.guard.failed(username, address);
      // Not awaited: an unknown name has no row to write, and the answer must not take longer for a real one.
      if (u) void bounded(recordFailedLogin(this.db, u.id));
      throw unauthorized(`User unauthorized: Authentication failed for user ${username}`);
    }
    this.guard.succeeded(username, address);
    basicCache.set(cacheKey, u.password);
    await bounded(recordLogin(this.db, u.id));
    this.checkActive(u);
    return { user: this.userOf(u) };
  }

  private async byApiToken(value: string) {
    const parsed = parseToken(value);
    if (!parsed) throw unauthorized('User unauthorized: Invalid token structure');
    const u = await credentialsByApiToken(this.db, parsed.id);
    if (!u || u.secret_hash !== sha256(parsed.secret)) throw unauthorized('User unauthorized: Invalid token');
    if (u.expiration_date && u.expiration_date.getTime() < Date.now()) {
      throw unauthorized('User unauthorized: Token is expired');
    }
    this.checkActive(u);
    if (!tokenTouched.has(parsed.id)) {
      tokenTouched.set(parsed.id, true);
      await bounded(touchToken(this.db, parsed.id));
    }
    return { user: this.userOf(u) };
  }

  private checkActive(u: CredentialRow): void {
    if (!u.active) throw unauthorized(`User unauthorized: User ${u.username} is not active`);
  }

  /** Whether `username` is locked for some client address of this process (the users list). */
  lockedAnywhere(username: string): boolean {
    return this.guard.lockedAnywhere(username);
  }

  /** `cfy users unlock`: every address's lock of this username, in this process. */
  unlock(username: string): void {
    this.guard.unlock(username);
  }

  private userOf(u: CredentialRow) {
    return { id: u.id, username: u.username, systemRole: u.system_role ?? 'default' };
  }
}

// Checked against when the user does not exist, so that an unknown name costs what a known one does.
let dummy: Promise<string> | undefined;
function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(16).toString('hex'));
  return dummy;
}
