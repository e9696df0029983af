// Finding the leader among the DB cluster's hosts (reference cfy_manager.md §4.4). Every host is
// asked at once and, until one is the leader, asked again every `intervalMs`, each host on its own
// loop so a host that hangs (cut off, connect timeout) delays no other. The search ends with the first
// leader, when every host refused us for a configuration reason, at the deadline, or (when opening)
// as soon as no host answers at all.
import { type Answer, DbUnavailableError, noLeaderMessage } from './db-errors.js';

export interface HostPort {
  host: string;
  port: number;
}

export const hostLabel = (h: HostPort): string =>
  `${h.host.includes(':') ? `[${h.host}]` : h.host}:${h.port}`;

/** What one probe of one host found: the leader (with what was opened on it), or why not. */
export type Probe<T> = (h: HostPort) => Promise<{ kind: 'leader'; value: T } | Answer>;

export interface SearchOptions<T> {
  /** How long to look for a leader before failing with DbUnavailableError. */
  waitMs: number;
  /** Pause between two probes of the same host. @default 250 */
  intervalMs?: number;
  /** Releases what a probe opened on a leader that was found too late (another one won). */
  dispose?: (value: T) => void;
  /** Aborts the search (the Db is closing). */
  signal?: AbortSignal;
  /**
   * Fail as soon as every host has been asked once and none answered (all down or refusing): what the
   * open wants, a typo or a stopped cluster said at once. Without it (a failover) the search waits.
   */
  failWhenNoneAnswers?: boolean;
}

export function findLeader<T>(
  hosts: HostPort[],
  probe: Probe<T>,
  o: SearchOptions<T>,
): Promise<{ host: HostPort; value: T }> {
  const interval = o.intervalMs ?? 250;
  const answers = new Map<string, Answer | undefined>(hosts.map((h) => [hostLabel(h), undefined]));
  return new Promise((resolve, reject) => {
    let done = false;
    const end = (settle: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', abort);
      settle();
    };
    const fail = () => end(() => reject(new DbUnavailableError(noLeaderMessage([...answers], o.waitMs))));
    const abort = () => end(() => reject(new DbUnavailableError('the database connection was closed')));
    const timer = setTimeout(fail, o.waitMs);
    o.signal?.addEventListener('abort', abort);
    if (o.signal?.aborted) abort();
    const ask = async (h: HostPort) => {
      while (!done) {
        const a = await probe(h).catch(
          (err: unknown): Answer => ({ kind: 'down', reason: (err as Error)?.message ?? String(err) }),
        );
        if (a.kind === 'leader') {
          if (done) o.dispose?.(a.value);
          else end(() => resolve({ host: h, value: a.value }));
          return;
        }
        if (!done) answers.set(hostLabel(h), a);
        const all = [...answers.values()];
        // A configuration error is not retried; when every host says so, fail now.
        if (all.every((x) => x?.kind === 'refused')) fail();
        if (o.failWhenNoneAnswers && all.every((x) => x && x.kind !== 'not-leader')) fail();
        if (a.kind === 'refused') return;
        await new Promise((r) => setTimeout(r, interval));
      }
    };
    for (const h of hosts) void ask(h);
  });
}
