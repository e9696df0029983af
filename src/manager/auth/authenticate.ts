// The credential chain of rest-api.md §2.2: Execution-Token, then HTTP Basic, then an API token.
// Returns who is calling and in which tenant; permission checks happen per route in app.ts.
import type { Db } from '../../store/port.js';
import type { ManagerConfig } from '../config.js';
import { forbidden, NO_AUTH_MESSAGE, unauthorized } from '../../common/errors.js';
import { verifyPassword } from './passwords.js';
import { parseToken, sha256 } from '../../common/tokens.js';

export interface AuthContext {
  user: { id: number; username: string; systemRole: string };
  tenant?: { id: number; name: string };
  /** System role plus the role in the request tenant, if any. */
  roles: string[];
  /** Set when the caller used an execution token. */
  execution?: { storageId: number; id: string };
}

interface UserRow {
  id: number;
  username: string;
  password: string;
  active: boolean;
  failed_logins_counter: number;
  last_failed_login_at: Date | null;
  system_role: string | null;
}

const USER_SQL = `SELECT u.id, u.username, u.password, u.active, u.failed_logins_counter, u.last_failed_login_at,
  (SELECT r.name FROM users_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = u.id LIMIT 1) AS system_role
  FROM users u`;

const ACTIVE_STATES = ['pending', 'started', 'cancelling', 'force_cancelling', 'kill_cancelling'];

// Verified Basic credentials, keyed by a hash that includes the stored hash (a password change evicts it).
const basicCache = new Map<string, number>();
const BASIC_CACHE_MS = 60_000;
// Last time each API token's last_used was written, to write it at most every 10 s.
const tokenTouched = new Map<string, number>();

export class Authenticator {
  constructor(
    private db: Db,
    private config: ManagerConfig,
  ) {}

  async authenticate(headers: Record<string, string | string[] | undefined>): Promise<AuthContext> {
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
      ctx = await this.byBasic(basic.slice(6).trim());
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
    const rows = await this.db.query<{ id: number; name: string; role: string | null }>(
      `SELECT t.id, t.name, (SELECT r.name FROM users_tenants ut JOIN roles r ON r.id = ut.role_id
         WHERE ut.tenant_id = t.id AND ut.user_id = $2) AS role
       FROM tenants t WHERE t.name = $1`,
      [tenantName, ctx.user.id],
    );
    if (rows.length === 0) {
      throw forbidden(`Authorization failed: Tried to authenticate with invalid tenant name: ${tenantName}`);
    }
    if (rows[0].role) roles.push(rows[0].role);
    return { ...ctx, tenant: { id: rows[0].id, name: rows[0].name }, roles };
  }

  private async byExecutionToken(token: string) {
    const rows = await this.db.query<UserRow & { exec_storage_id: number; exec_id: string }>(
      `${USER_SQL.replace(' FROM users u', ', e._storage_id AS exec_storage_id, e.id AS exec_id FROM users u')}
       JOIN executions e ON e._creator_id = u.id
       WHERE e.token = $1 AND e.status = ANY($2::text[])`,
      [sha256(token), `{${ACTIVE_STATES.join(',')}}`],
    );
    if (rows.length === 0) throw unauthorized('User unauthorized: invalid Execution Token');
    const u = rows[0];
    return { user: this.userOf(u), execution: { storageId: u.exec_storage_id, id: u.exec_id } };
  }

  private async byBasic(encoded: string) {
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const username = colon < 0 ? decoded : decoded.slice(0, colon);
    const password = colon < 0 ? '' : decoded.slice(colon + 1);
    if (!/^[A-Za-z]/.test(username)) throw unauthorized(NO_AUTH_MESSAGE);
    const rows = await this.db.query<UserRow>(`${USER_SQL} WHERE u.username = $1`, [username]);
    const fail = unauthorized(`User unauthorized: Authentication failed for user ${username}`);
    if (rows.length === 0) throw fail;
    const u = rows[0];
    this.checkUsable(u);
    const key = sha256(`${username}\0${password}\0${u.password}`);
    const cached = basicCache.get(key);
    if (!(cached && cached > Date.now())) {
      if (!(await verifyPassword(password, u.password))) {
        await this.db.query(
          'UPDATE users SET failed_logins_counter = failed_logins_counter + 1, last_failed_login_at = now() WHERE id = $1',
          [u.id],
        );
        throw fail;
      }
      basicCache.set(key, Date.now() + BASIC_CACHE_MS);
      await this.db.query(
        'UPDATE users SET failed_logins_counter = 0, first_login_at = coalesce(first_login_at, now()), last_login_at = now() WHERE id = $1',
        [u.id],
      );
    }
    return { user: this.userOf(u) };
  }

  private async byApiToken(value: string) {
    const parsed = parseToken(value);
    if (!parsed) throw unauthorized('User unauthorized: Invalid token structure');
    const rows = await this.db.query<UserRow & { secret_hash: string; expiration_date: Date | null }>(
      `${USER_SQL.replace('FROM users u', ', t.secret_hash, t.expiration_date FROM users u')}
       JOIN tokens t ON t._user_fk = u.id WHERE t.id = $1`,
      [parsed.id],
    );
    const u = rows[0];
    if (!u || u.secret_hash !== sha256(parsed.secret)) throw unauthorized('User unauthorized: Invalid token');
    if (u.expiration_date && u.expiration_date.getTime() < Date.now()) {
      throw unauthorized('User unauthorized: Token is expired');
    }
    this.checkUsable(u);
    const last = tokenTouched.get(parsed.id) ?? 0;
    if (Date.now() - last > 10_000) {
      tokenTouched.set(parsed.id, Date.now());
      await this.db.query('UPDATE tokens SET last_used = now() WHERE id = $1', [parsed.id]);
    }
    return { user: this.userOf(u) };
  }

  private checkUsable(u: UserRow): void {
    if (!u.active) throw unauthorized(`User unauthorized: User ${u.username} is not active`);
    const lockedUntil = (u.last_failed_login_at?.getTime() ?? 0) + this.config.accountLockMinutes * 60_000;
    if (u.failed_logins_counter >= this.config.failedLoginsBeforeLock && lockedUntil > Date.now()) {
      throw unauthorized(`User unauthorized: User ${u.username} is locked`);
    }
  }

  private userOf(u: UserRow) {
    return { id: u.id, username: u.username, systemRole: u.system_role ?? 'default' };
  }
}
