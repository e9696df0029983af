// HAProxy's runtime API on its stats socket: the servers' state as HAProxy sees it (`show stat`) and the
// stickiness table (`show table`). configure uses it to confirm that a reload took the new manager list.
import { connect } from 'node:net';

export function runtimeCommand(socket: string, command: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    // The command, then end of input: the master CLI answers only then; both close after one answer.
    const s = connect(socket, () => s.end(`${command}\n`));
    s.setTimeout(timeoutMs, () => {
      s.destroy();
      reject(new Error(`no answer from ${socket} within ${timeoutMs} ms`));
    });
    s.on('data', (d) => {
      out += d.toString();
    });
    s.once('error', reject);
    s.once('close', () => resolve(out));
  });
}

export interface ServerStat {
  backend: string;
  server: string;
  /** The server's id (the stickiness table's server_id). */
  id: number;
  /** UP, DOWN, MAINT, `UP 1/2` (going down), `DOWN 1/2` (going up), no check: `no check`. */
  status: string;
  /** L7OK, L4CON, L7STS, … (the last health check). */
  checkStatus: string;
  /** The HTTP status of the last health check. */
  checkCode: string;
  /** Sessions so far. */
  sessions: number;
}

/** The servers of every backend (`show stat`, CSV). */
export async function serverStats(socket: string): Promise<ServerStat[]> {
  const csv = await runtimeCommand(socket, 'show stat');
  const [header, ...rows] = csv.split('\n').filter((l) => l.trim());
  if (!header?.startsWith('# ')) throw new Error(`unexpected answer to show stat: ${csv.slice(0, 200)}`);
  const cols = header.slice(2).split(',');
  const col = (row: string[], name: string) => row[cols.indexOf(name)] ?? '';
  return rows
    .map((r) => r.split(','))
    .filter((r) => !['FRONTEND', 'BACKEND'].includes(col(r, 'svname')))
    .map((r) => ({
      backend: col(r, 'pxname'),
      server: col(r, 'svname'),
      id: Number(col(r, 'sid')),
      status: col(r, 'status'),
      checkStatus: col(r, 'check_status').replace(/^\* /, ''),
      checkCode: col(r, 'check_code'),
      sessions: Number(col(r, 'stot')),
    }));
}

/** The stickiness entries of a backend: client key -> server id. */
export async function stickTable(socket: string, backend: string): Promise<Map<string, number>> {
  const out = await runtimeCommand(socket, `show table ${backend}`);
  const entries = new Map<string, number>();
  for (const m of out.matchAll(/key=(\S+) .*?server_id=(\d+)/g)) entries.set(m[1]!, Number(m[2]));
  return entries;
}
