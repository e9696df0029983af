// The store on the guide's 3-node DB cluster (Patroni + etcd), on the shared lab of
// test/installer/db-cluster-lab.test.ts, once the database scenarios have run: from the host as a manager
// would use it: the three node IPs, verify-full TLS against the cluster's CA, a client certificate,
// Patroni's REST API as the authority on who leads. Writes run in a loop while the leader is killed,
// comes back as a replica, and while the leader's Patroni hangs; they must resume on the new leader
// through the same Db object. It leaves Patroni running everywhere; the manager scenarios wait for the
// cluster to settle.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { GUIDE_SECRETS } from '../../src/lab/guide-config.js';
import { within } from '../../src/lab/within.js';
import { openStore } from '../../src/store/open.js';
import { patroniStatus } from '../../src/store/patroni.js';
import type { Db } from '../../src/store/port.js';
import { openServer, parseDbUrl } from '../../src/store/server.js';
import {
  cfy,
  DB_NODES as NODES,
  type LabRef,
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

const WRITERS = 3;
const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const load = () =>
  `load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`;

/** What the setup and each scenario leave for the next. */
interface StoreState {
  ips: string[];
  files: PgFiles;
  url: (db: string, hosts?: string[]) => string;
  db: Db;
  w: Writers | undefined;
  old: string;
  killedAt: number;
  next: string;
}

function helpers(t: LabRef, state: StoreState) {
  const ip = (n: string) => nodeIp(t.lab, n);
  const nameOf = (addr: string) => NODES.find((n) => ip(n) === addr)!;
  const leader = (via = 'db1', among = state.ips) =>
    within(30_000, () => leaderOf(t.lab, via, among), Boolean, 'a Patroni leader') as Promise<string>;
  return { ip, nameOf, leader };
}

/**
 * The cluster settled (the database scenarios end with a node that just rejoined), the manager's DB
 * client certificate made as the guide makes it (generate-test-cert on one node), a database for the test.
 */
async function prepare(t: LabRef, state: StoreState): Promise<void> {
  state.ips = NODES.map((n) => nodeIp(t.lab, n));
  await within(90_000, () => settled(t.lab, 'db1', state.ips), Boolean, 'cluster settled');
  const gen = await cfy(t.lab, 'db1', ['generate-test-cert', '-s', 'cloudify'], 120_000);
  assert.equal(gen.code, 0, gen.stdout + gen.stderr);
  const dir = 'root/.cloudify-test-ca';
  const files = {
    ca: nodeFile(t.lab, 'db1', `${dir}/ca.crt`),
    cert: nodeFile(t.lab, 'db1', `${dir}/cloudify.crt`),
    key: nodeFile(t.lab, 'db1', `${dir}/cloudify.key`),
    password: GUIDE_SECRETS.postgresPassword,
  };
  state.files = files;
  state.url = (name, hosts = state.ips) =>
    `postgres://postgres:${files.password}@${hosts.map((x) => `${x}:5432`).join(',')}/${name}` +
    `?sslmode=verify-full&sslrootcert=${files.ca}&sslcert=${files.cert}&sslkey=${files.key}&patroni_port=8008`;
  const admin = await openServer(parseDbUrl(state.url('postgres')));
  await admin.exec('CREATE DATABASE stratus_failover');
  await admin.close();
}

export function registerPatroniFailoverScenarios(t: LabRef): void {
  describe('the store on the DB cluster of the guide follows the leader', { timeout: 720_000 }, () => {
    const state = { w: undefined } as StoreState;
    before(() => prepare(t, state));
    after(async () => {
      await state.w?.stop();
      await state.db?.close();
    });
    opensOnLeader(t, state);
    leaderKilled(t, state);
    oldLeaderBack(t, state);
    patroniHangs(t, state);
  });
}

/** The store opens on the leader; how fast the leader is found. */
function opensOnLeader(t: LabRef, state: StoreState): void {
  const { leader } = helpers(t, state);
  test('the store opens on the leader over verify-full TLS, found by Patroni as fast as by a session check', async (c) => {
    state.db = await openStore({ dbUrl: state.url('stratus_failover') });
    await state.db.exec(WRITES_TABLE);
    const [s] = await state.db.query<{ ip: string; ssl: boolean }>(
      'SELECT host(inet_server_addr()) AS ip, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
    );
    assert.equal(s.ip, await leader());
    assert.equal(s.ssl, true);
    // The measurement behind the choice of Patroni's REST API (docs/decisions.md): one pass over the
    // three hosts, in parallel, each way, alternated.
    const access = {
      port: 8008,
      ca: readFileSync(state.files.ca, 'utf8'),
      cert: readFileSync(state.files.cert, 'utf8'),
      key: readFileSync(state.files.key, 'utf8'),
    };
    const rest: number[] = [];
    const session: number[] = [];
    for (let i = 0; i < 20; i++) {
      let t0 = performance.now();
      const st = await Promise.all(state.ips.map((x) => patroniStatus(x, access)));
      rest.push(performance.now() - t0);
      assert.equal(state.ips[st.findIndex((r) => 'status' in r && r.status === 200)], s.ip);
      t0 = performance.now();
      assert.deepEqual(await primariesBySession(state.ips, state.files), [s.ip]);
      session.push(performance.now() - t0);
    }
    c.diagnostic(
      `leader search, one pass over 3 hosts (median of 20): Patroni REST ${median(rest).toFixed(0)} ms, session check ${median(session).toFixed(0)} ms; ${load()}`,
    );
  });
}

/** The leader killed under writes. */
function leaderKilled(t: LabRef, state: StoreState): void {
  const { ip, nameOf, leader } = helpers(t, state);
  test('the leader killed: writes resume on the new leader through the same Db', async (c) => {
    state.old = await leader();
    state.w = startWriters(state.db, WRITERS);
    await within(20_000, () => state.w!.okOn(state.old, 0).length >= 10, Boolean, 'writes on the leader');
    const survivor = NODES.find((n) => ip(n) !== state.old)!;
    state.killedAt = Date.now();
    await t.lab.kill(nameOf(state.old));
    // Patroni's own view, polled beside the writes, separates its promotion from the client's lag.
    const promoted = leader(
      survivor,
      state.ips.filter((x) => x !== state.old),
    ).then((x) => ({ ip: x, at: Date.now() }));
    const first = await within(
      30_000,
      () => state.w!.firstElsewhere(state.old, state.killedAt),
      Boolean,
      'a write on the new leader',
    );
    // Without a leader for 3 s, reads go to any member (decision 26): the first may be on a replica.
    const read = state.w.firstElsewhere(state.old, state.killedAt, 'read');
    assert.ok(read, 'a read answered elsewhere before the first write on the new leader');
    const p = await promoted;
    const onLeader = state.w.log.find((w) => w.kind === 'read' && w.ok && w.ip === p.ip && w.at >= p.at);
    assert.ok(onLeader, 'a read on the new leader after its promotion');
    state.next = p.ip;
    const failed = state.w.failed(state.killedAt);
    c.diagnostic(
      `leader ${nameOf(state.old)} killed: first write on the new leader ${nameOf(first!.ip!)} after ${sec(first!.at - state.killedAt)} (goal ≤ 15 s); ` +
        `Patroni's promotion seen by a poller after ${sec(p.at - state.killedAt)}, first read through the Db after ${sec(read.at - state.killedAt)} on ${nameOf(read.ip!)}, ` +
        `on the new leader after ${sec(onLeader.at - state.killedAt)} ` +
        `(commits wait for a sync standby: synchronous_mode_strict); ${failed.length} statements failed ` +
        `(${[...new Set(failed.map((x) => x.err))].join(' | ') || 'none'}); ${load()}`,
    );
    assert.equal(first!.ip, p.ip);
    assert.ok(first!.at - state.killedAt <= 20_000, `first write after ${sec(first!.at - state.killedAt)}`);
    assert.ok(read.at - state.killedAt <= 10_000, `first read after ${sec(read.at - state.killedAt)}`);
    // Reads answered by a replica meanwhile reach the new leader with the first writes (~4.8 s after Patroni
    // names it, against ~0 s when reads waited for the leader): allowed 8 s, reported in the diagnostic.
    assert.ok(
      onLeader.at - p.at <= 8000,
      `the Db read on the new leader ${sec(onLeader.at - p.at)} after Patroni named it`,
    );
    // Only statements in flight on the dead leader may fail: at most one per loop (writers and reader).
    assert.ok(failed.length <= WRITERS + 1, failed.map((x) => x.err).join(' | '));
    const since = await within(
      10_000,
      () => state.w!.log.filter((x) => x.kind === 'write' && x.at > first!.at + 500),
      (xs) => xs.length >= 20,
      'more writes after the first on the new leader',
    );
    assert.ok(
      since.length > 0 && since.every((x) => x.ok && x.ip === state.next),
      JSON.stringify(since.slice(0, 5)),
    );
  });
}

/** The killed leader back, as a replica. */
function oldLeaderBack(t: LabRef, state: StoreState): void {
  const { nameOf } = helpers(t, state);
  test('the old leader back as a replica: writes still go to the leader, none was lost', async (c) => {
    const mark = Date.now();
    await t.lab.start(nameOf(state.old));
    await within(
      120_000,
      () => patroniRole(t.lab, nameOf(state.next), state.old),
      (r) => r?.role === 'replica' && r.state === 'running',
      'old leader running as a replica',
    );
    const settledAt = await within(
      60_000,
      async () => (await settled(t.lab, nameOf(state.next), state.ips)) && Date.now(),
      Boolean,
      'cluster settled',
    );
    await within(
      10_000,
      () => state.w!.okOn(state.next, settledAt as number).length >= 20,
      Boolean,
      'writes after the rejoin',
    );
    const during = state.w!.log.filter((x) => x.kind === 'write' && x.at > mark);
    assert.ok(
      during.length > 0 && during.every((x) => x.ok && x.ip === state.next),
      JSON.stringify(during.filter((x) => !x.ok).slice(0, 5)),
    );
    // A new store listing the old leader first still lands on the leader.
    const again = await openServer(
      parseDbUrl(state.url('stratus_failover', [state.old, ...state.ips.filter((x) => x !== state.old)])),
    );
    const [r] = await again.query<{ ip: string }>('SELECT host(inet_server_addr()) AS ip');
    await again.close();
    assert.equal(r.ip, state.next);
    await state.w!.stop();
    const acked = state.w!.log.filter((x) => x.kind === 'write' && x.ok).map((x) => x.id!);
    const rows = await state.db.query<{ id: string }>('SELECT id FROM failover_writes');
    const present = new Set(rows.map((x) => Number(x.id)));
    const lost = acked.filter((id) => !present.has(id));
    c.diagnostic(
      `${during.length} writes while ${nameOf(state.old)} rejoined, all on ${nameOf(state.next)}; ${acked.length} acknowledged, ${lost.length} lost`,
    );
    assert.deepEqual(lost, []);
  });
}

/** The leader's Patroni stopped (SIGSTOP), then resumed. */
function patroniHangs(t: LabRef, state: StoreState): void {
  const { nameOf, leader } = helpers(t, state);
  test('the leader whose Patroni hangs: the Db moves to the promoted replica (a session check would not)', async (c) => {
    const frozen = await leader();
    const name = nameOf(frozen);
    const pid = (
      await t.lab.exec(name, ['supervisorctl', '-c', '/etc/supervisor/supervisord.conf', 'pid', 'patroni'])
    ).stdout.trim();
    assert.match(pid, /^\d+$/);
    state.w = startWriters(state.db, WRITERS);
    await within(20_000, () => state.w!.okOn(frozen, 0).length >= 5, Boolean, 'writes on the leader');
    const at = Date.now();
    await t.lab.exec(name, ['kill', '-STOP', pid]);
    try {
      const first = await within(
        45_000,
        () => state.w!.firstElsewhere(frozen, at),
        Boolean,
        'a write elsewhere',
      );
      const primaries = await primariesBySession(state.ips, state.files);
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
        const l = await leaderOf(t.lab, 'db1', state.ips);
        return l && state.w!.okOn(l, resumed + 1000).length > 0 ? l : undefined;
      },
      Boolean,
      'writes on the leader Patroni names after it resumed',
    );
    // Patroni 3.0.2 (Debian) may let the resumed member overwrite the new leader's lock (fixed upstream
    // in patroni/patroni#2689): the interim leader is then rewound. Reported, not asserted: not the client.
    await state.w!.stop();
    const acked = state.w!.log.filter((x) => x.kind === 'write' && x.ok && x.at > at);
    const present = new Set(
      (
        await state.db.query<{ id: string }>('SELECT id FROM failover_writes WHERE id >= $1', [
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
}
