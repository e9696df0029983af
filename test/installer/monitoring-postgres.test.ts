// postgres_exporter against a real PostgreSQL 15 that accepts TLS connections only (hostssl, as our
// Patroni cluster does): the role made by monitoringUserSql, the DSN of postgresDsn (verify-full with the
// DB CA, the password URL-encoded) sourced from the shell env file, the exporter run by the rendered
// program command. pg_up is 1; with a CA that did not sign the server certificate it is 0.
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generateCa, generateLeaf } from '../../src/installer/certs/x509.js';
import { monitoringUserSql } from '../../src/installer/components/monitoring/db-user.js';
import {
  BIN,
  postgresDsn,
  renderPrograms,
  shellEnvFile,
} from '../../src/installer/components/monitoring/render.js';
import { layoutUnder } from '../../src/installer/components/monitoring/settings.js';
import { deriveConfig } from '../../src/installer/config/derive.js';
import { deepMerge, finishConfig, packagedDefaults } from '../../src/installer/config/load.js';
import type { Config } from '../../src/installer/config/schema.js';
import { freePort, startPostgres, type TestPostgres } from '../helpers/postgres.js';

const isRoot = process.getuid?.() === 0;
function unavailable(): string | undefined {
  if (!isRoot) return 'needs root (PostgreSQL and the exporter run as postgres)';
  if (existsSync(BIN.postgres)) return undefined;
  const r = spawnSync(
    'apt-get',
    ['install', '-y', '--no-install-recommends', 'prometheus-postgres-exporter'],
    {
      stdio: 'ignore',
      timeout: 600_000,
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    },
  );
  return r.status === 0 && existsSync(BIN.postgres)
    ? undefined
    : 'apt-get install prometheus-postgres-exporter failed';
}
const reason = unavailable();
const skip = reason && process.env.CI !== 'true' ? reason : false;

const SUPER_PW = 'stratus-test';
// Quote, backslash, @ and $: URL-encoded in the DSN (whitespace is refused by validateMonitoring).
const MON_PW = "mon'it\\or@pw$1";
let pg: TestPostgres;
let work: string;
const procs: ChildProcess[] = [];

function config(): Config {
  return deriveConfig(
    finishConfig(
      deepMerge(packagedDefaults(), {
        manager: { private_ip: '127.0.0.1', public_ip: '127.0.0.1' },
        postgresql_server: { postgres_password: SUPER_PW, cert_path: 'x', key_path: 'x', ca_path: 'x' },
        prometheus: { postgres_exporter: { password: MON_PW, sslmode: 'verify-full' } },
        services_to_install: ['database_service', 'monitoring_service'],
      }),
      ['/etc/cloudify/config.yaml'],
    ),
  );
}

const asPostgres = (argv: string[], input?: string, env: Record<string, string> = {}) =>
  spawnSync('runuser', ['-u', 'postgres', '--', ...argv], {
    input,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });

/** Runs the rendered postgres_exporter program with an env file holding `dsn`; returns its pg_up. */
async function pgUp(name: string, dsn: string): Promise<string> {
  const layout = layoutUnder(join(work, name), join(work, 'data'), join(work, 'ssl'), join(work, 'log'));
  execFileSync('mkdir', ['-p', layout.exportersDir]);
  writeFileSync(layout.postgresEnv, shellEnvFile({ DATA_SOURCE_NAME: dsn }), { mode: 0o600 });
  chownSync(layout.postgresEnv, Number(execFileSync('id', ['-u', 'postgres']).toString()), 0);
  const port = await freePort();
  const c = config();
  c.prometheus.postgres_exporter.metrics_port = port;
  const prog = renderPrograms(c, { layout, supervisorSocket: '/x' }).find(
    (p) => p.name === 'postgres_exporter',
  )!;
  const script = /^\/bin\/sh -c '(.*)'$/.exec(prog.command)![1]!;
  const proc = spawn('runuser', ['-u', prog.user!, '--', '/bin/sh', '-c', script], {
    stdio: ['ignore', 'ignore', 'pipe'],
    cwd: '/',
  });
  let log = '';
  proc.stderr!.on('data', (d) => {
    log += d.toString();
  });
  procs.push(proc);
  for (let i = 0; i < 50; i++) {
    try {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const up = /^pg_up (\S+)$/m.exec(text)?.[1];
      if (up) {
        proc.kill('SIGTERM');
        return up;
      }
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  proc.kill('SIGTERM');
  throw new Error(`postgres_exporter ${name} did not answer: ${log.slice(-1500)}`);
}

describe('postgres_exporter with the rendered DSN, against a TLS-only PostgreSQL', { skip }, () => {
  let caFile: string;
  let otherCa: string;
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'stratus-monitoring-pg-'));
    execFileSync('chmod', ['755', work]);
    const ca = await generateCa();
    const leaf = await generateLeaf('127.0.0.1', ['127.0.0.1'], ca);
    caFile = join(work, 'ca.crt');
    otherCa = join(work, 'other-ca.crt');
    writeFileSync(caFile, ca.certPem, { mode: 0o644 });
    writeFileSync(otherCa, (await generateCa()).certPem, { mode: 0o644 });
    const pgUid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    for (const [f, text] of [
      ['server.crt', leaf.certPem],
      ['server.key', leaf.keyPem],
    ] as const) {
      writeFileSync(join(work, f), text, { mode: 0o600 });
      chownSync(join(work, f), pgUid, 0);
    }
    pg = await startPostgres({
      password: SUPER_PW,
      conf: `ssl=on\nssl_cert_file='${join(work, 'server.crt')}'\nssl_key_file='${join(work, 'server.key')}'`,
    });
    // TLS only, as the Patroni cluster's pg_hba: hostssl lines, no plain host line.
    const hba = join(pg.dir, 'data', 'pg_hba.conf');
    writeFileSync(hba, 'local all all peer\nhostssl all all 127.0.0.1/32 scram-sha-256\n');
    chownSync(hba, pgUid, 0);
    assert.equal(
      asPostgres(['/usr/lib/postgresql/15/bin/pg_ctl', '-D', join(pg.dir, 'data'), 'reload']).status,
      0,
    );
    await new Promise((r) => setTimeout(r, 500));
    const sql = monitoringUserSql('cloudify_db_monitoring', MON_PW);
    const conn = `host=127.0.0.1 port=${pg.port} dbname=postgres user=postgres sslmode=require`;
    const r = asPostgres(['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', conn], sql, { PGPASSWORD: SUPER_PW });
    assert.equal(r.status, 0, r.stderr);
    // Running it again (a re-run of configure) changes nothing and does not fail.
    assert.equal(
      asPostgres(['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', conn], sql, { PGPASSWORD: SUPER_PW }).status,
      0,
    );
  });
  after(async () => {
    for (const p of procs) p.kill('SIGTERM');
    await pg?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const dsn = (ca: string) => postgresDsn(config(), ca).replace(':5432/', `:${pg.port}/`);

  test('verify-full with the DB CA: pg_up 1', async () => {
    assert.match(dsn(caFile), /sslmode=verify-full&sslrootcert=/);
    assert.equal(await pgUp('good', dsn(caFile)), '1');
  });

  test('a CA that did not sign the server: pg_up 0', async () => {
    assert.equal(await pgUp('bad-ca', dsn(otherCa)), '0');
  });

  test('without TLS the server refuses (hostssl only): pg_up 0', async () => {
    assert.equal(await pgUp('plain', dsn(caFile).replace(/sslmode=[^&]+/, 'sslmode=disable')), '0');
  });
});
