// RabbitMQ's CLI tools, run as the rabbitmq user with the node's env file, so they find the node name
// and the erlang cookie (HOME=/var/lib/rabbitmq) exactly as the server does.
import { connect } from 'node:net';
import { ClusteringError } from '../../errors.js';
import { asUser, type RunResult, run } from '../../exec.js';
import { Logger } from '../../log.js';
import { PATHS, rabbitEnv } from './files.js';

const log = new Logger('rabbitmq');

export type Tool = 'rabbitmqctl' | 'rabbitmq-diagnostics' | 'rabbitmq-queues' | 'rabbitmq-plugins';

export type Ctl = (
  args: string[],
  opts?: { tool?: Tool; ignoreFailure?: boolean; timeoutMs?: number; input?: string },
) => Promise<RunResult>;

export const ctl: Ctl = (args, opts = {}) =>
  run(asUser('rabbitmq', [`${PATHS.bin}/${opts.tool ?? 'rabbitmqctl'}`, ...args]), {
    env: rabbitEnv(),
    cwd: PATHS.home,
    timeoutMs: opts.timeoutMs ?? 120_000,
    ignoreFailure: opts.ignoreFailure,
    ...(opts.input !== undefined ? { input: opts.input } : {}),
  });

export const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves once something accepts TCP connections on host:port. */
export function portOpen(host: string, port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/**
 * Waits for the local node to finish booting: `await_startup` exits 69 at once while the node is not yet
 * registered in epmd, so it is retried; then the AMQPS port must accept connections.
 */
export async function waitForBroker(c: Ctl, deadlineMs = 180_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  let last = '';
  while (Date.now() < end) {
    const r = await c(['await_startup', '--timeout', '60'], { ignoreFailure: true, timeoutMs: 70_000 });
    if (r.code === 0 && (await portOpen('127.0.0.1', 5671))) return;
    last = (r.stderr || r.stdout).trim().split('\n').slice(-1)[0] ?? '';
    await pause(1000);
  }
  throw new ClusteringError(`RabbitMQ did not start within ${deadlineMs / 1000} s: ${last}`, {
    fix: `see ${PATHS.log}`,
  });
}

/** Cluster members as this node sees them (`cluster_status --formatter json`). */
export async function clusterStatus(c: Ctl): Promise<{ disk: string[]; running: string[] }> {
  const r = await c(['cluster_status', '--formatter', 'json']);
  const j = JSON.parse(r.stdout) as { disk_nodes?: string[]; running_nodes?: string[] };
  return { disk: j.disk_nodes ?? [], running: j.running_nodes ?? [] };
}

/**
 * §5.4: stop_app, reset, join_cluster, and start_app whatever happened. `listNodes` is then polled until
 * the management API lists both nodes.
 */
export async function joinCluster(
  c: Ctl,
  self: string,
  joinNode: string,
  listNodes: () => Promise<string[] | undefined>,
  opts: { attempts?: number; intervalMs?: number } = {},
): Promise<void> {
  log.info(`Joining cluster of ${joinNode}...`);
  await c(['stop_app']);
  try {
    await c(['reset']);
    await c(['join_cluster', joinNode]);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    if (msg.includes('mnesia_not_running')) {
      throw new ClusteringError(
        `Rabbit does not appear to be running on ${joinNode}. You may need to start rabbitmq on that node, or restart that node.`,
      );
    }
    if (/nodedown|could not connect|unable to connect|timeout/i.test(msg)) {
      throw new ClusteringError(`Could not reach ${joinNode} to join its cluster: ${msg}`, {
        fix: `check that ${joinNode} is installed and running, and that this node resolves and reaches its host`,
      });
    }
    throw err;
  } finally {
    await c(['start_app']);
  }
  const attempts = opts.attempts ?? 20;
  for (let i = 0; i < attempts; i++) {
    const nodes = await listNodes().catch(() => undefined);
    if (nodes?.includes(joinNode) && nodes.includes(self)) {
      log.info(`Joined cluster of ${joinNode}.`);
      return;
    }
    await pause(opts.intervalMs ?? 5000);
  }
  throw new ClusteringError(
    `Node did not join cluster within ${attempts} attempts. Attempted to join to ${joinNode}. Please check logs for details.`,
  );
}
