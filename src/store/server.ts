// Server driver: a real PostgreSQL through postgres.js. Several hosts may be listed; the first that
// accepts a read-write session is used (leader discovery through Patroni comes with the cluster work).
import { readFileSync } from 'node:fs';
import postgres from 'postgres';
import type { Db } from './port.js';

export interface ServerDbOptions {
  hosts: { host: string; port: number }[];
  user: string;
  password?: string;
  database: string;
  /** TLS: 'disable' or 'verify-full' (CA required; client cert and key optional). */
  sslmode?: 'disable' | 'require' | 'verify-full';
  sslrootcert?: string;
  sslcert?: string;
  sslkey?: string;
  maxConnections?: number;
}

/** Parse `postgres://user:pass@h1:5432,h2:5433/db?sslmode=verify-full&sslrootcert=…`. */
export function parseDbUrl(url: string): ServerDbOptions {
  const m = /^postgres(?:ql)?:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?]+)(?:\/([^?]*))?(?:\?(.*))?$/.exec(url);
  if (!m) throw new Error(`Invalid database URL: expected postgres://user:password@host:port/database`);
  const [, user, password, hostList, database, query] = m;
  const hosts = hostList.split(',').map((h) => {
    const hm = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(h);
    if (!hm) throw new Error(`Invalid database host "${h}" in URL`);
    return { host: hm[1].replace(/^\[|\]$/g, ''), port: hm[2] ? Number(hm[2]) : 5432 };
  });
  const q = new URLSearchParams(query ?? '');
  const sslmode = (q.get('sslmode') ?? 'disable') as ServerDbOptions['sslmode'];
  if (!['disable', 'require', 'verify-full'].includes(sslmode!)) {
    throw new Error(`Unsupported sslmode "${sslmode}": use disable, require or verify-full`);
  }
  return {
    hosts,
    user: decodeURIComponent(user || 'postgres'),
    password: password === undefined ? undefined : decodeURIComponent(password),
    database: decodeURIComponent(database || 'postgres'),
    sslmode,
    sslrootcert: q.get('sslrootcert') ?? undefined,
    sslcert: q.get('sslcert') ?? undefined,
    sslkey: q.get('sslkey') ?? undefined,
  };
}

function tlsOptions(o: ServerDbOptions) {
  if (!o.sslmode || o.sslmode === 'disable') return false;
  if (o.sslmode === 'require') return { rejectUnauthorized: false };
  if (!o.sslrootcert) throw new Error('sslmode verify-full needs sslrootcert (the CA certificate path)');
  return {
    rejectUnauthorized: true,
    ca: readFileSync(o.sslrootcert, 'utf8'),
    cert: o.sslcert ? readFileSync(o.sslcert, 'utf8') : undefined,
    key: o.sslkey ? readFileSync(o.sslkey, 'utf8') : undefined,
  };
}

type Sql = postgres.Sql | postgres.TransactionSql;

function wrap(sql: Sql, root: postgres.Sql): Db {
  return {
    driver: 'server',
    async query<T>(text: string, params: unknown[] = []) {
      return (await sql.unsafe(text, params as postgres.ParameterOrJSON<never>[])) as unknown as T[];
    },
    async transaction<T>(fn: (tx: Db) => Promise<T>) {
      if (sql !== root) return fn(wrap(sql, root));
      return (await root.begin((tx) => fn(wrap(tx, root)))) as T;
    },
    async exec(text: string) {
      await sql.unsafe(text).simple();
    },
    async close() {
      if (sql === root) await root.end({ timeout: 5 });
    },
  };
}

export async function openServer(o: ServerDbOptions): Promise<Db> {
  const options: Partial<postgres.Options<Record<string, never>>> = {
    host: o.hosts.map((h) => h.host) as unknown as string,
    port: o.hosts.map((h) => h.port) as unknown as number,
    user: o.user,
    password: o.password,
    database: o.database,
    ssl: tlsOptions(o),
    max: o.maxConnections ?? 10,
    target_session_attrs: 'read-write' as const,
    connect_timeout: 10,
    onnotice: () => {},
  };
  const root = postgres(options as postgres.Options<Record<string, never>>);
  await root`select 1`;
  return wrap(root, root);
}
