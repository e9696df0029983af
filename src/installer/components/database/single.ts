// A single PostgreSQL 15 node (reference §4.1): all-in-one, or a DB node without a cluster.
// initdb only when there is no pg_hba.conf; pg_hba rewritten (md5; hostssl lines with SSL); the tuned
// parameters in an included cloudify-postgresql.conf; supervisord program `postgresql-15`.
import {
  appendFileSync,
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { totalmem } from 'node:os';
import { deployTriple, lookupIds } from '../../certs/deploy.js';
import { has } from '../../config/derive.js';
import type { Config } from '../../config/schema.js';
import { asUser, run } from '../../exec.js';
import type { Logger } from '../../log.js';
import { PG_BIN, PG_DATA, PG_SOCKET_DIR } from '../../paths.js';
import * as supervisor from '../../services/supervisor.js';
import { pgParams } from './cluster-files.js';

export const SINGLE_PROGRAM = 'postgresql-15';
const LOG_DIR = '/var/log/cloudify/postgresql_server';

export function singleProgram(): supervisor.Program {
  return {
    name: SINGLE_PROGRAM,
    command: `${PG_BIN}/postgres -D ${PG_DATA}`,
    user: 'postgres',
    logFile: `${LOG_DIR}/supervisord.log`,
    stopsignal: 'INT', // fast shutdown
    startsecs: 0,
  };
}

export function renderHba(existing: string, config: Config): string {
  const s = config.postgresql_server;
  let lines = existing
    .split('\n')
    .map((l) => (/^\s*host\s/.test(l) ? l.replace(/\btrust\b|\bscram-sha-256\b/, 'md5') : l));
  lines = lines.filter((l) => l.trim() !== '');
  if (
    s.enable_remote_connections &&
    !s.ssl_only_connections &&
    !lines.some((l) => /^host\s+all\s+all\s+0\.0\.0\.0\/0\s+md5/.test(l))
  ) {
    lines.push('host all all 0.0.0.0/0 md5', 'host all all ::0/0 md5');
  }
  if (s.ssl_enabled && !lines.some((l) => l.startsWith('hostssl all all 0.0.0.0/0 md5'))) {
    const v = s.ssl_client_verification ? ' clientcert=verify-full' : '';
    lines.push(
      `hostssl all ${s.db_monitoring.username} ${config.manager.private_ip}/32 md5`,
      `hostssl all all 0.0.0.0/0 md5${v}`,
      `hostssl all all ::0/0 md5${v}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

const dollarQuote = (pw: string) => {
  let tag = '$password$';
  while (pw.includes(tag)) tag = `$p${tag.slice(1)}`;
  return `${tag}${pw}${tag}`;
};

export async function configureSingle(config: Config, log: Logger): Promise<void> {
  const s = config.postgresql_server;
  const { uid, gid } = await lookupIds('postgres');
  for (const d of [PG_DATA, LOG_DIR, PG_SOCKET_DIR]) {
    mkdirSync(d, { recursive: true });
    chownSync(d, uid, gid);
  }
  chmodSync(PG_DATA, 0o700);
  if (!existsSync(`${PG_DATA}/pg_hba.conf`)) {
    log.info('Initialising the PostgreSQL data directory');
    await run(
      asUser('postgres', [
        `${PG_BIN}/initdb`,
        '-D',
        PG_DATA,
        '-E',
        'UTF8',
        '--locale=C.UTF-8',
        '--auth-local=peer',
        '--auth-host=md5',
      ]),
    );
  }
  const hba = `${PG_DATA}/pg_hba.conf`;
  const before = readFileSync(hba, 'utf8');
  if (!existsSync(`${hba}.backup`)) writeFileSync(`${hba}.backup`, before);
  writeFileSync(hba, renderHba(before, config));
  if (s.ssl_enabled) {
    await deployTriple(
      { cert: s.cert_path, key: s.key_path, ca: s.ca_path },
      { cert: `${PG_DATA}/server.crt`, key: `${PG_DATA}/server.key`, ca: `${PG_DATA}/root.crt` },
      'postgres',
    );
  }
  const params = pgParams(config, totalmem(), has(config, 'manager_service'));
  const lines = [`unix_socket_directories = '${PG_SOCKET_DIR}'`, `log_directory = '${LOG_DIR}'`];
  lines.push(`listen_addresses = '${s.enable_remote_connections ? config.manager.private_ip : 'localhost'}'`);
  if (s.ssl_enabled) lines.push('ssl = on', `ssl_ca_file = '${PG_DATA}/root.crt'`);
  for (const [k, v] of Object.entries(params)) lines.push(`${k} = ${v}`);
  const include = `${PG_DATA}/cloudify-postgresql.conf`;
  writeFileSync(include, `# Written by cfy_manager.\n${lines.join('\n')}\n`);
  chownSync(include, uid, gid);
  const main = `${PG_DATA}/postgresql.conf`;
  if (!readFileSync(main, 'utf8').includes(`include = '${include}'`))
    appendFileSync(main, `\ninclude = '${include}'\n`);
  supervisor.writeProgram(singleProgram());
  await supervisor.restart(SINGLE_PROGRAM);
  // Wait for the socket, then set the superuser password.
  for (let i = 0; i < 60; i++) {
    const r = await run(asUser('postgres', [`${PG_BIN}/pg_isready`, '-h', PG_SOCKET_DIR]), {
      ignoreFailure: true,
    });
    if (r.code === 0) break;
    await new Promise((res) => setTimeout(res, 500));
  }
  if (s.postgres_password) {
    await run(
      asUser('postgres', [`${PG_BIN}/psql`, '-h', PG_SOCKET_DIR, '-t', '-X', '-n', '-v', 'ON_ERROR_STOP=1']),
      {
        input: `ALTER ROLE postgres WITH PASSWORD ${dollarQuote(String(s.postgres_password))};\n`,
      },
    );
    log.info('Set the postgres password');
  }
}
