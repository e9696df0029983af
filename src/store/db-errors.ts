// What a failed statement or connection attempt means for the server driver: the leader went away
// (search again), the statement never reached a server (safe to send once more), or the client is
// misconfigured (one line naming the host, the port and the fix, and no retry).

/** Raised when no leader could be reached: the message is one line with the hosts, the port and the fix. */
export class DbUnavailableError extends Error {
  override name = 'DbUnavailableError';
}

/** Error codes of postgres.js and Node for a connection that failed or was lost. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
  'CONNECTION_ENDED',
]);

/**
 * SQL states that say "this server is not (or no longer) the leader": 25006 a write on a replica,
 * 57P01 terminated by Patroni's restart or demotion, 57P02 crash shutdown, 57P03 starting or
 * shutting down, and class 08 (connection exceptions).
 */
const LEADER_GONE_STATES = new Set(['25006', '57P01', '57P02', '57P03']);

const codeOf = (err: unknown): string | undefined => {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
};

/** Codes that come only with the session's connection closing (postgres.js then reports the close). */
const CLOSING_CODES = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'ECONNRESET',
  'EPIPE',
  '57P01',
  '57P02',
]);

/** The statement failed because its session's connection is closing or closed. */
export function connectionClosing(err: unknown): boolean {
  const c = codeOf(err);
  return c !== undefined && CLOSING_CODES.has(c);
}

/** The error says the session's server is gone or is not the leader: the pool must search again. */
export function leaderLost(err: unknown): boolean {
  const c = codeOf(err);
  return c !== undefined && (CONNECTION_CODES.has(c) || LEADER_GONE_STATES.has(c) || c.startsWith('08'));
}

/**
 * True when postgres.js never handed the query to a connection, so no byte of it reached a server.
 * postgres.js sets `query.state` (the backend it runs on) in `connection.execute`, just before it
 * writes the query; a query rejected while still `null` was refused by a connection that failed to
 * open or by an ending pool. test/store/server-failover.test.ts pins this on the installed version.
 */
export function neverSent(query: unknown): boolean {
  return (query as { state?: unknown } | null)?.state === null;
}

/**
 * A single statement outside a transaction may be sent once more on the new leader when it failed
 * without effect: it never left the client, or a replica rejected it as a write (25006: the implicit
 * transaction aborted, nothing was written).
 */
export function safeToResend(err: unknown, query: unknown): boolean {
  return leaderLost(err) && (neverSent(query) || codeOf(err) === '25006');
}

/**
 * A plain SELECT (or WITH … SELECT) reads and changes nothing, so it may be sent again whatever became of the first try
 * (a leader lost with the statement in flight). Row locks, sequences, advisory locks and data-changing
 * CTEs are excluded.
 */
export function readOnly(text: string): boolean {
  return (
    /^\s*(SELECT|WITH)\b/i.test(text) &&
    !/\bFOR\s+(UPDATE|SHARE|NO\s+KEY\s+UPDATE|KEY\s+SHARE)\b|\b(nextval|setval|pg_advisory\w*)\s*\(|\b(INSERT|UPDATE|DELETE)\b/i.test(
      text,
    )
  );
}

/** How one host answered a probe. */
export type Answer =
  /** Reachable but not the leader (a replica, Patroni's 503, starting up): keep asking. */
  | { kind: 'not-leader'; reason: string }
  /** Not reachable (refused, timed out, reset): keep asking. */
  | { kind: 'down'; reason: string }
  /** Reachable and refusing us (password, pg_hba, TLS): a configuration error, asking again won't help. */
  | { kind: 'refused'; reason: string; fix: string };

const TLS_FIX =
  'check sslrootcert (postgresql_client.ca_path: the DB CA) and that each DB certificate names its IP';

/** Classify a failed connection attempt to PostgreSQL. */
export function pgAnswer(err: unknown): Answer {
  const c = codeOf(err);
  const msg = (err as Error)?.message?.split('\n')[0] ?? String(err);
  if (c === 'CONNECTION_DESTROYED') return { kind: 'not-leader', reason: 'a replica (hot standby)' };
  if (c === '57P03') return { kind: 'not-leader', reason: msg };
  if (c === '28P01' || c === '28000' || c === '3D000' || c === '42501') {
    return {
      kind: 'refused',
      reason: msg,
      fix: 'check the user, password and database of the database URL (postgresql_client)',
    };
  }
  if (c && isTlsCode(c)) return { kind: 'refused', reason: `TLS: ${msg}`, fix: TLS_FIX };
  return { kind: 'down', reason: networkReason(c, msg) };
}

export function isTlsCode(c: string): boolean {
  return /CERT|SSL|TLS|_SIGNATURE|ALTNAME|SELF_SIGNED|UNABLE_TO/.test(c);
}

export function networkReason(code: string | undefined, msg: string): string {
  const known: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset',
    ETIMEDOUT: 'timed out',
    CONNECT_TIMEOUT: 'timed out',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    ENOTFOUND: 'unknown host name',
    EAI_AGAIN: 'host name lookup failed',
  };
  return (code && known[code]) || msg;
}

/**
 * One line for "no leader was found": the hosts with what each answered, then the fix. Identical
 * answers are said once: "could not reach PostgreSQL at 10.0.0.1:5432, 10.0.0.2:5432: connection
 * refused; check postgresql_client and that the DB nodes are up".
 */
export function noLeaderMessage(answers: [string, Answer | undefined][], waitedMs: number): string {
  const groups = new Map<string, string[]>();
  for (const [host, a] of answers) {
    const reason = a?.reason ?? `no answer within ${(waitedMs / 1000).toFixed(1)} s`;
    groups.set(reason, [...(groups.get(reason) ?? []), host]);
  }
  const hosts = answers.map(([h]) => h).join(', ');
  const detail =
    groups.size === 1
      ? `${hosts}: ${[...groups.keys()][0]}`
      : `${hosts} (${[...groups].map(([r, hs]) => `${hs.join(', ')}: ${r}`).join('; ')})`;
  const refused = answers.find(([, a]) => a?.kind === 'refused')?.[1] as { fix: string } | undefined;
  if (refused) return `PostgreSQL refused the connection at ${detail}; ${refused.fix}`;
  if (answers.some(([, a]) => a?.kind === 'not-leader')) {
    return `no PostgreSQL leader within ${(waitedMs / 1000).toFixed(0)} s at ${detail}; check that the DB cluster has a leader (cfy_manager dbs list on a DB node)`;
  }
  return `could not reach PostgreSQL at ${detail}; check postgresql_client and that the DB nodes are up`;
}
