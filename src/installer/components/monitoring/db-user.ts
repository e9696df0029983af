// The PostgreSQL account postgres_exporter logs in with (cfy_manager.md §4.1 step 6, §4.3 step 7):
// postgresql_server.db_monitoring.username, created (or its password refreshed) with pg_monitor rights.
// A single node: over the local socket as postgres. A Patroni cluster: on the leader, as the superuser
// over TLS; with no leader yet (the first DB nodes of a new cluster) it is left to the next DB node.
import { isDbCluster } from '../../config/derive.js';
import type { Config } from '../../config/schema.js';
import { asUser, run } from '../../exec.js';
import type { Logger } from '../../log.js';
import { PATRONI_CA, PG_BIN, PG_SOCKET_DIR } from '../../paths.js';
import { clusterIps, urlHost } from '../database/cluster-files.js';
import { currentLeader } from '../database/status.js';
import { monitoringPassword } from './settings.js';

const literal = (s: string) => `'${s.replaceAll("'", "''")}'`;
const ident = (s: string) => `"${s.replaceAll('"', '""')}"`;

/** A dollar-quote tag that occurs in none of `texts`. */
function tagFor(base: string, ...texts: string[]): string {
  let tag = `$${base}$`;
  while (texts.some((t) => t.includes(tag))) tag = `$${base}${tag.length}$`;
  return tag;
}

/** The SQL, sent on stdin (the password never reaches argv). */
export function monitoringUserSql(username: string, password: string): string {
  const pw = tagFor('pw', password);
  const body = [
    `IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = ${literal(username)}) THEN`,
    `  CREATE ROLE ${ident(username)} LOGIN PASSWORD ${pw}${password}${pw};`,
    'ELSE',
    `  ALTER ROLE ${ident(username)} LOGIN PASSWORD ${pw}${password}${pw};`,
    'END IF;',
  ].join('\n');
  const outer = tagFor('do', body);
  return `DO ${outer}\nBEGIN\n${body}\nEND\n${outer};\nGRANT pg_monitor TO ${ident(username)};\n`;
}

/** Creates or refreshes the role; false when it could not be made now (no leader yet, or a failure). */
export async function ensureMonitoringUser(config: Config, log: Logger): Promise<boolean> {
  const user = config.postgresql_server.db_monitoring.username;
  const sql = monitoringUserSql(user, monitoringPassword(config));
  const psql = [`${PG_BIN}/psql`, '-X', '-q', '-v', 'ON_ERROR_STOP=1'];
  if (!isDbCluster(config)) {
    await run(asUser('postgres', [...psql, '-h', PG_SOCKET_DIR, '-d', 'postgres']), { input: sql });
    log.info(`The database monitoring user ${user} is ready`);
    return true;
  }
  const leader = await currentLeader(clusterIps(config));
  if (!leader) {
    log.notice(
      `The database monitoring user ${user} is not created yet: the database cluster has no leader yet (the next DB node to be configured creates it).`,
    );
    return false;
  }
  const conninfo = `host=${leader} port=5432 dbname=postgres user=postgres sslmode=verify-full sslrootcert=${PATRONI_CA}`;
  // synchronous_mode_strict makes every commit wait for a sync replica, which a young cluster does not
  // have yet (the first DB node waited out the whole timeout): this session commits locally and the role
  // reaches the replicas by streaming like everything else. A role lost with a leader that died before
  // streaming it is created again by the next DB node's configure.
  const r = await run([...psql, conninfo], {
    input: `SET synchronous_commit = local;\n${sql}`,
    env: { PGPASSWORD: String(config.postgresql_server.postgres_password) },
    ignoreFailure: true,
    timeoutMs: 30_000,
  });
  if (r.code !== 0) {
    log.warning(
      `Could not create the database monitoring user ${user} on the leader ${urlHost(leader)} (${r.stderr.trim().split('\n').pop()}); the next DB node to be configured tries again.`,
    );
    return false;
  }
  log.info(`The database monitoring user ${user} is ready (created on the leader ${leader})`);
  return true;
}
