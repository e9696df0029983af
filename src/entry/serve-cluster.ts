// Several REST worker processes behind the same listening sockets (cfy_manager.md §6.1: Cloudify
// runs gunicorn with `min(worker_count or int(nproc*cpu_ratio)+1, max_worker_count)` workers).
// node:cluster forks this same command; the primary accepts and hands each connection to a worker
// (round robin), starts one worker first (so a bad setting fails once, in one line), then the rest,
// replaces a worker that dies, and on SIGTERM/SIGINT stops them all within 10 s.
import cluster, { type Worker } from 'node:cluster';
import pino from 'pino';

export type WorkerMessage = { type: 'ready'; password?: string } | { type: 'failed'; message: string };

export interface WorkerCountSettings {
  /** A fixed count; 0 derives it from the CPUs. @default 0 */
  workerCount: number;
  cpuRatio: number;
  maxWorkerCount: number;
  nproc: number;
}

/** Cloudify's formula for the REST service's worker processes. */
export function restWorkerCount(s: WorkerCountSettings): number {
  return Math.max(1, Math.min(s.workerCount || Math.floor(s.nproc * s.cpuRatio) + 1, s.maxWorkerCount));
}

/** Resolves with the worker's admin password once it serves; rejects with its one-line failure. */
function ready(worker: Worker): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: WorkerMessage) => {
      if (m?.type === 'ready') done(() => resolve(m.password));
      else if (m?.type === 'failed') done(() => reject(new Error(m.message)));
    };
    const onExit = (code: number | null, signal: string | null) =>
      done(() =>
        reject(new Error(`a REST worker process exited (${signal ?? `code ${code}`}) before it served`)),
      );
    const done = (then: () => void) => {
      worker.off('message', onMessage);
      worker.off('exit', onExit);
      then();
    };
    worker.on('message', onMessage);
    worker.on('exit', onExit);
  });
}

function stopAll(deadlineMs: number): Promise<boolean> {
  const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && !w.isDead());
  if (workers.length === 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    let left = workers.length;
    const force = setTimeout(() => {
      for (const w of workers) if (!w.isDead()) w.process.kill('SIGKILL');
      resolve(false);
    }, deadlineMs);
    for (const w of workers) {
      w.once('exit', () => {
        if (--left === 0) {
          clearTimeout(force);
          resolve(true);
        }
      });
      w.process.kill('SIGTERM');
    }
  });
}

/** Starts `count` workers; resolves with the admin password when they all serve. */
export async function runPrimary(count: number): Promise<string | undefined> {
  const logger = pino({ name: 'stratus-manager' });
  let stopping = false;
  let password: string | undefined;
  try {
    password = await ready(cluster.fork());
    await Promise.all(Array.from({ length: count - 1 }, () => ready(cluster.fork())));
  } catch (err) {
    stopping = true;
    await stopAll(10_000);
    throw err;
  }
  logger.info({ workers: count }, 'REST worker processes serving');
  const restarts: number[] = [];
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    const now = Date.now();
    restarts.push(now);
    while (restarts[0]! < now - 60_000) restarts.shift();
    if (restarts.length > 5) {
      logger.error('REST worker processes keep dying (more than 5 in a minute): stopping the manager');
      void stop('crash loop', 1);
      return;
    }
    logger.warn({ pid: worker.process.pid, code, signal }, 'REST worker process died: starting another');
    ready(cluster.fork()).catch((err) => logger.error({ err: (err as Error).message }, 'replacement failed'));
  });
  const stop = async (why: string, exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal: why }, 'shutting down');
    const clean = await stopAll(10_000);
    process.exit(clean ? exitCode : 1);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  return password;
}
