// The storage port. Both drivers (embedded PGlite and server PostgreSQL) implement it with the same
// SQL dialect: positional parameters ($1…); JSON is passed as a JSON.stringify()ed string and cast with
// `$n::text::jsonb` (casting through text stops either driver from encoding the string a second time).

export type Row = Record<string, unknown>;

export interface Db {
  /** Which driver answers: the zero-setup embedded one, or a real PostgreSQL server. */
  readonly driver: 'embedded' | 'server';
  /** Run one statement. Outside a transaction each statement commits on its own. */
  query<T = Row>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Run `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  /** Run a multi-statement script with no parameters (migrations). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

/** A SQL state from PostgreSQL, normalised across drivers (23505 = unique violation, …). */
export function sqlState(err: unknown): string | undefined {
  const e = err as { code?: unknown } | null;
  return e && typeof e.code === 'string' ? e.code : undefined;
}
