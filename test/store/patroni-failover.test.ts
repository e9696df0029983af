// The store on the guide's 3-node DB cluster (Patroni + etcd, in the lab), from the host as a manager
// would use it: the three node IPs, verify-full TLS against the cluster's CA, a client certificate,
// Patroni's REST API as the authority on who leads. Writes run in a loop while the leader is killed,
// comes back as a replica, and while the leader's Patroni hangs; they must resume on the new leader
// through the same Db object.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { GUIDE_SECRETS } from '../../src/lab/guide-config.js';
import { startTestLab, type TestLab } from '../../src/lab/testing.js';
import { within } from '../../src/lab/within.js';
import { openStore } from '../../src/store/open.js';
import { patroniStatus } from '../../src/store/patroni.js';
import type { Db } from '../../src/store/port.js';
import { openServer, parseDbUrl } from '../../src/store/server.js';
import {
  cfy,
  labInstall,
  leaderOf,
  nodeFile,
  nodeIp,
  patroniRole,
  settled,
} from '../installer/lab-helpers.js';
import {
  median,
  type PgFiles,
  primariesBySession,
  startWriters,
  WRITES_TABLE,
  type Writers,
} from './writers.js';

const root = process.getuid?.() === 0;
const skip = root ? false : 'needs root: the lab creates namespaces, and the installer runs as root';
const NODES = ['db1', 'db2', 'db3'];
const WRITERS = 3;
const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const load = () =>
  `load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`;

describe('the store on the DB cluster of the guide follows the leader', { skip, timeout: 720_000 }, () => {
  let t: TestLab;
  let ips: string[];
  let files: PgFiles;
  let url: (db: string, hosts?: string[]) => string;
  let db: Db;
  let w: Writers | undefined;
  const ip = (n: string) => nodeIp(t.lab, n);
  const nameOf = (addr: string) => NODES.find((n) => ip(n) === addr)!;
  const leader = (via = 'db1', among = ips) =>
    within(30_000, () => leaderOf(t.lab, via, among), Boolean, 'a Patroni leader') as Promise<string>;

  before(async () => {
    t = await startTestLab({
      name: 'pgfo',
      nodes: NODES.map((name) => ({ name, roles: ['database' as const] })),
    });
    ips = NODES.map(ip);
    const log: string[] = [];
    assert.equal(await labInstall(t.lab, (l) => log.push(l)), 0, log.join('\n'));
    await within(90_000, () => settled(t.lab, 'db1', ips), Boolean, 'cluster settled');
    // The manager's DB client certificate, as the guide makes it: generate-test-cert on one node.
    const gen = await cfy(t.lab, 'db1', ['generate-test-cert', '-s', 'cloudify'], 120_000);
    assert.equal(gen.code, 0, gen.stdout + gen.stderr);
    const dir = 'root/.cloudify-test-ca';
    files = {
      ca: nodeFile(t.lab, 'db1', `${dir}/ca.crt`),
      cert: nodeFile(t.lab, 'db1', `${dir}/cloudify.crt`),
      key: nodeFile(t.lab, 'db1', `${dir}/cloudify.key`),
      password: GUIDE_SECRETS.postgresPassword,
    };
    url = (name, hosts = ips) =>
      `postgres://postgres:${files.password}@${hosts.map((x) => `${x}:5432`).join(',')}/${name}` +
      `?sslmode=verify-full&sslrootcert=${files.ca}&sslcert=${files.cert}&sslkey=${files.key}&patroni_port=8008`;
    const admin = await openServer(parseDbUrl(url('postgres')));
    await admin.exec('CREATE DATABASE stratus_failover');
    await admin.close();
  });
  after(async () => {
    await w?.stop();
    await db?.close();
    await t?.down();
  });

  test('the store opens on the leader over verify-full TLS, found by Patroni as fast as by a session check', async (c) => {
    db = await openStore({ dbUrl: url('stratus_failover') });
    await db.exec(WRITES_TABLE);
    const [s] = await db.query<{ ip: string; ssl: boolean }>(
      'SELECT host(inet_server_addr()) AS ip, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
    );
    assert.equal(s.ip, await leader());
    assert.equal(s.ssl, true);
    // The measurement behind the choice of Patroni's REST API (docs/decisions.md): one pass over the
    // three hosts, in parallel, each way, alternated.
    const access = {
      port: 8008,
      ca: readFileSync(files.ca, 'utf8'),
      cert: readFileSync(files.cert, 'utf8'),
      key: readFileSync(files.key, 'utf8'),
    };
    const rest: number[] = [];
    const session: number[] = [];
    for (let i = 0; i < 20; i++) {
      let t0 = performance.now();
      const st = await Promise.all(ips.map((x) => patroniStatus(x, access)));
      rest.push(performance.now() - t0);
      assert.equal(ips[st.findIndex((r) => 'status' in r && r.status === 200)], s.ip);
      t0 = performance.now();
      assert.deepEqual(await primariesBySession(ips, files), [s.ip]);
      session.push(performance.now() - t0);
    }
    c.diagnostic(
      `leader search, one pass over 3 hosts (median of 20): Patroni REST ${median(rest).toFixed(0)} ms, session check ${median(session).toFixed(0)} ms; ${load()}`,
    );
  });

  let old: string;
  let killedAt: number;
  let next: string;
  test('the leader killed: writes resume on the new leader through the same Db', async (c) => {
    old = await leader();
    w = startWriters(db, WRITERS);
    await within(20_000, () => w!.okOn(old, 0).length >= 10, Boolean, 'writes on the leader');
    const survivor = NODES.find((n) => ip(n) !== old)!;
    killedAt = Date.now();
    await t.lab.kill(nameOf(old));
    // Patroni's own view, polled beside the writes, separates its promotion from the client's lag.
    const promoted = leader(
      survivor,
      ips.filter((x) => x !== old),
    ).then((x) => ({ ip: x, at: Date.now() }));
    const first = await within(
      30_000,
      () => w!.firstElsewhere(old, killedAt),
      Boolean,
      'a write on the new leader',
    );
    const read = w.firstElsewhere(old, killedAt, 'read');
    assert.ok(read, 'a read on the new leader before the first write there');
    const p = await promoted;
    next = p.ip;
    const failed = w.failed(killedAt);
    c.diagnostic(
      `leader ${nameOf(old)} killed: first write on the new leader ${nameOf(first!.ip!)} after ${sec(first!.at - killedAt)} (goal ≤ 15 s); ` +
        `Patroni's promotion seen by a poller after ${sec(p.at - killedAt)}, first read through the Db on it after ${sec(read.at - killedAt)} ` +
        `(commits wait for a sync standby: synchronous_mode_strict); ${failed.length} statements failed ` +
        `(${[...new Set(failed.map((x) => x.err))].join(' | ') || 'none'}); ${load()}`,
    );
    assert.equal(first!.ip, p.ip);
    assert.equal(read.ip, p.ip);
    assert.ok(first!.at - killedAt <= 20_000, `first write after ${sec(first!.at - killedAt)}`);
    assert.ok(
      read.at - p.at <= 2000,
      `the Db reached the new leader ${sec(read.at - p.at)} after Patroni named it`,
    );
    // Only statements in flight on the dead leader may fail: at most one per loop (writers and reader).
    assert.ok(failed.length <= WRITERS + 1, failed.map((x) => x.err).join(' | '));
    const since = await within(
      10_000,
      () => w!.log.filter((x) => x.kind === 'write' && x.at > first!.at + 500),
      (xs) => xs.length >= 20,
      'more writes after the first on the new leader',
    );
    assert.ok(
      since.length > 0 && since.every((x) => x.ok && x.ip === next),
      JSON.stringify(since.slice(0, 5)),
    );
  });

  test('the old leader back as a replica: writes still go to the leader, none was lost', async (c) => {
    const mark = Date.now();
    await t.lab.start(nameOf(old));
    await within(
      120_000,
      () => patroniRole(t.lab, nameOf(next), old),
      (r) => r?.role === 'replica' && r.state === 'running',
      'old leader running as a replica',
    );
    const settledAt = await within(
      60_000,
      async () => (await settled(t.lab, nameOf(next), ips)) && Date.now(),
      Boolean,
      'cluster settled',
    );
    await within(
      10_000,
      () => w!.okOn(next, settledAt as number).length >= 20,
      Boolean,
      'writes after the rejoin',
    );
    const during = w!.log.filter((x) => x.kind === 'write' && x.at > mark);
    assert.ok(
      during.length > 0 && during.every((x) => x.ok && x.ip === next),
      JSON.stringify(during.filter((x) => !x.ok).slice(0, 5)),
    );
    // A new store listing the old leader first still lands on the leader.
    const again = await openServer(
      parseDbUrl(url('stratus_failover', [old, ...ips.filter((x) => x !== old)])),
    );
    const [r] = await again.query<{ ip: string }>('SELECT host(inet_server_addr()) AS ip');
    await again.close();
    assert.equal(r.ip, next);
    await w!.stop();
    const acked = w!.log.filter((x) => x.kind === 'write' && x.ok).map((x) => x.id!);
    const rows = await db.query<{ id: string }>('SELECT id FROM failover_writes');
    const present = new Set(rows.map((x) => Number(x.id)));
    const lost = acked.filter((id) => !present.has(id));
    c.diagnostic(
      `${during.length} writes while ${nameOf(old)} rejoined, all on ${nameOf(next)}; ${acked.length} acknowledged, ${lost.length} lost`,
    );
    assert.deepEqual(lost, []);
  });

  test('the leader whose Patroni hangs: the Db moves to the promoted replica (a session check would not)', async (c) => {
    const frozen = await leader();
    const name = nameOf(frozen);
    const pid = (
      await t.lab.exec(name, ['supervisorctl', '-c', '/etc/supervisor/supervisord.conf', 'pid', 'patroni'])
    ).stdout.trim();
    assert.match(pid, /^\d+$/);
    w = startWriters(db, WRITERS);
    await within(20_000, () => w!.okOn(frozen, 0).length >= 5, Boolean, 'writes on the leader');
    const at = Date.now();
    await t.lab.exec(name, ['kill', '-STOP', pid]);
    try {
      const first = await within(45_000, () => w!.firstElsewhere(frozen, at), Boolean, 'a write elsewhere');
      const primaries = await primariesBySession(ips, files);
      c.diagnostic(
        `Patroni of ${name} stopped (SIGSTOP): first write on ${nameOf(first!.ip!)} after ${sec(first!.at - at)}; ` +
          `hosts accepting a primary session meanwhile: ${primaries.map(nameOf).join(', ')}; ${load()}`,
      );
      assert.ok(primaries.includes(frozen), 'PostgreSQL on the hung leader still runs as a primary');
    } finally {
      await t.lab.exec(name, ['kill', '-CONT', pid]);
    }
    // Once Patroni resumes, whoever it names leader gets the writes (the old one may win the lock back).
    const resumed = Date.now();
    const now = await within(
      90_000,
      async () => {
        const l = await leaderOf(t.lab, 'db1', ips);
        return l && w!.okOn(l, resumed + 1000).length > 0 ? l : undefined;
      },
      Boolean,
      'writes on the leader Patroni names after it resumed',
    );
    // Patroni 3.0.2 (Debian) may let the resumed member overwrite the new leader's lock (fixed upstream
    // in patroni/patroni#2689): the interim leader is then rewound. Reported, not asserted: not the client.
    await w!.stop();
    const acked = w!.log.filter((x) => x.kind === 'write' && x.ok && x.at > at);
    const present = new Set(
      (
        await db.query<{ id: string }>('SELECT id FROM failover_writes WHERE id >= $1', [
          Math.min(...acked.map((x) => x.id!)),
        ])
      ).map((x) => Number(x.id)),
    );
    const lost = acked.filter((x) => !present.has(x.id!));
    c.diagnostic(
      `after SIGCONT the leader is ${nameOf(now!)}; of ${acked.length} writes acknowledged since the SIGSTOP, ${lost.length} are gone ` +
        `(${[...new Set(lost.map((x) => nameOf(x.ip!)))].join(', ') || 'none'}); ${load()}`,
    );
  });
});
