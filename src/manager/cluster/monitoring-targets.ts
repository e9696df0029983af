// Keeps the local Prometheus's federation targets in step with the cluster registry: every 15 s (and at
// start) a manager rewrites `other_managers.yml`, `other_rabbits.yml` and `other_postgres.yml` in the
// targets folder from the managers, rabbitmq_brokers and db_nodes tables (cfy_manager.md §7.3: each other
// node's Prometheus on 8009; this manager itself and external nodes left out). Prometheus re-reads target
// files by itself, so a manager or broker added or removed is scraped or dropped without a restart. A file
// is replaced only when its text changes, by rename, so Prometheus never reads half of one.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from '../../store/port.js';
import { brokerHosts, dbNodeHosts, managerHealth } from '../../store/repositories/managers.js';

/** The port every node's Prometheus serves on (TLS, basic auth). */
const MONITORING_PORT = 8009;

const hostPort = (ip: string) =>
  ip.includes(':') ? `[${ip}]:${MONITORING_PORT}` : `${ip}:${MONITORING_PORT}`;

/** `- targets: [...]` with no labels: the federated series keep their own `host` label. */
export function federationTargets(ips: string[]): string {
  return `- targets: ${JSON.stringify([...new Set(ips)].map(hostPort))}\n  labels: {}\n`;
}

/** The three files' texts, from the registry, for the manager whose private IP is `ownIp`. */
export async function registryTargets(db: Db, ownIp: string): Promise<Record<string, string>> {
  const [managers, brokers, dbNodes] = await Promise.all([
    managerHealth(db),
    brokerHosts(db),
    dbNodeHosts(db),
  ]);
  const others = (ips: string[]) => federationTargets(ips.filter((ip) => ip && ip !== ownIp));
  return {
    'other_managers.yml': others(managers.map((m) => m.private_ip)),
    'other_rabbits.yml': others(brokers.filter((b) => !b.is_external).map((b) => b.host)),
    'other_postgres.yml': others(dbNodes.filter((d) => !d.is_external).map((d) => d.host)),
  };
}

function replaceIfChanged(path: string, text: string): boolean {
  let old: string | undefined;
  try {
    old = readFileSync(path, 'utf8');
  } catch {}
  if (old === text) return false;
  writeFileSync(`${path}.tmp`, text, { mode: 0o644 });
  renameSync(`${path}.tmp`, path);
  return true;
}

/** Writes the files now and every `intervalMs`; returns the stop function. */
export function startTargetsSync(
  db: Db,
  o: { dir: string; ownIp: string; intervalMs?: number; onError?: (err: unknown) => void },
): () => void {
  const sync = async () => {
    try {
      const files = await registryTargets(db, o.ownIp);
      for (const [name, text] of Object.entries(files)) replaceIfChanged(join(o.dir, name), text);
    } catch (err) {
      o.onError?.(err);
    }
  };
  void sync();
  const timer = setInterval(sync, o.intervalMs ?? 15_000);
  timer.unref();
  return () => clearInterval(timer);
}
