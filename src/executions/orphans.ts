// On the embedded default the bus lives in the process: when the process dies, the messages of the
// executions it was running die with it. At start, every execution still active in the database is
// an orphan of the previous process and is handed to the worker again, which resumes it from its
// stored task graph. One pass, one sentence for the log.
import type { Db } from '../store/port.js';
import { executionsIn } from '../store/repositories/executions.js';
import { ACTIVE_STATES } from './status.js';

export async function requeueOrphans(db: Db, dispatch: (id: string) => Promise<void>): Promise<string> {
  const rows = await executionsIn(db, ACTIVE_STATES);
  if (rows.length === 0) return 'no action: 0 orphaned executions';
  for (const r of rows) await dispatch(r.id);
  return `re-sent ${rows.length} orphaned execution(s) to the worker: ${rows.map((r) => `${r.id} (${r.status})`).join(', ')}`;
}
