// Keeps this manager's `managers.last_seen` fresh so /cluster-status on any other manager sees it alive
// (a manager older than 60 s, or 3× its status_report_frequency, is reported Fail). createManager
// starts it after bootstrap and stops it in close().
import type { Db } from '../../store/port.js';
import { touchManager } from '../../store/repositories/managers.js';

export function startHeartbeat(
  db: Db,
  hostname: string,
  intervalMs = 15_000,
  onError: (err: unknown) => void = () => {},
): () => void {
  const beat = () => touchManager(db, hostname).catch(onError);
  const timer = setInterval(beat, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
