// `cfy_manager serve --workers N` on the server setup: N REST worker processes share the TLS front's
// sockets (node:cluster), a dead worker is replaced, SIGTERM stops them all, and a start that
// cannot work fails once, in one line. PostgreSQL 15 and RabbitMQ are throwaway instances.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { brokerUnavailable, startBroker, type TestBroker } from '../bus/rabbit-broker.js';
import { restWorkerCount } from '../../src/entry/serve-cluster.js';
import { WORKER_DEFAULTS } from '../../src/entry/serve-config.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import {
  CFY_MANAGER,
  httpsGet,
  makeCerts,
  PASSWORD,
  ROOT,
  type Served,
  serveWithFront,
  tlsArgs,
} from './tls-helpers.js';

const work = mkdtempSync(join(tmpdir(), 'stratus-serve-cluster-'));
after(() => rmSync(work, { recursive: true, force: true }));
const auth = {
  authorization: `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`,
  tenant: 'default_tenant',
};

function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((t) =>
      readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

async function within<T>(
  ms: number,
  probe: () => T | Promise<T>,
  ok: (v: T) => boolean,
  what: string,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await probe();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what}: still ${JSON.stringify(last)} after ${ms} ms`);
}

const skip = brokerUnavailable();

describe('serve --workers 2 behind the TLS front', { skip }, () => {
  let pg: TestPostgres;
  let broker: TestBroker;
  let m: Served;
  let ca: Buffer;

  before(async () => {
    [pg, broker] = await Promise.all([startPostgres(), startBroker()]);
    const certs = await makeCerts(join(work, 'certs'));
    ca = readFileSync(certs.ca);
    const args = ['--db', pg.url, '--amqp', broker.url, '--workers', '2', '--admin-password', PASSWORD];
    m = await serveWithFront([...args, '--data-dir', join(work, 'data'), ...tlsArgs(certs)], 180_000);
  });
  after(async () => {
    await m?.stop();
    await broker?.stop();
    await pg?.stop();
  });

  test('two worker processes answer on the shared ports; the finish message is printed once', async () => {
    assert.equal(childrenOf(m.proc.pid!).length, 2);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        httpsGet(i % 2 ? m.https : m.internal, '/api/v3.1/status', ca, auth),
      ),
    );
    for (const a of answers) assert.equal(a.status, 200, a.body);
    assert.equal(m.output().split('Manager is up at').length, 2, m.output());
    // A password that was given, not generated, is not printed.
    assert.match(m.output(), /Admin password: \(the one given in STRATUS_ADMIN_PASSWORD/);
    assert.ok(!m.output().includes(PASSWORD));
  });

  test('a worker that dies is replaced, and the ports keep answering', async () => {
    const [victim] = childrenOf(m.proc.pid!);
    process.kill(victim!, 'SIGKILL');
    const now = await within(
      60_000,
      () => childrenOf(m.proc.pid!),
      (c) => c.length === 2 && !c.includes(victim!),
      'worker processes',
    );
    assert.equal(now.length, 2);
    await within(
      60_000,
      () => httpsGet(m.https, '/api/v3.1/status', ca, auth).then((a) => a.status),
      (s) => s === 200,
      'status',
    );
  });

  test('SIGTERM stops the primary and every worker, exit 0 within 10 s', async () => {
    const workers = childrenOf(m.proc.pid!);
    const t0 = Date.now();
    assert.equal(await m.stop(12_000), 0, m.output());
    assert.ok(Date.now() - t0 < 10_000, `took ${Date.now() - t0} ms`);
    for (const pid of workers)
      assert.ok(
        !existsSync(`/proc/${pid}/stat`) || /\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8')),
        `worker ${pid} still runs`,
      );
  });
});

describe('serve --workers: settings that cannot work fail in one line', () => {
  const run = (args: string[]) => {
    const r = spawnSync(CFY_MANAGER, ['serve', '--data-dir', join(work, 'never'), ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stderr.split('\n').length, 2, `not one line:\n${r.stderr}`);
    return r.stderr.trim();
  };

  test('several workers need the server setup', () => {
    assert.equal(
      run(['--workers', '2']),
      'cfy_manager: error: --workers above 1 needs --db and --amqp: the embedded database, the in-process bus and its worker live in one process',
    );
  });

  test('an unreachable database is reported once, not once per worker', () => {
    const line = run([
      '--workers',
      '3',
      '--db',
      'postgres://u@127.0.0.1:1/x',
      '--amqp',
      'amqp://127.0.0.1:1',
    ]);
    assert.match(
      line,
      /^cfy_manager: error: could not reach PostgreSQL at 127\.0\.0\.1:1: connection refused/,
    );
  });
});

describe('the REST worker count (cfy_manager.md §6.1)', () => {
  test("Cloudify's formula: min(worker_count or int(nproc * cpu_ratio) + 1, max_worker_count)", () => {
    const cloudify = { workerCount: 0, cpuRatio: 2.0, maxWorkerCount: 12 };
    assert.equal(restWorkerCount({ ...cloudify, nproc: 2 }), 5);
    assert.equal(restWorkerCount({ ...cloudify, nproc: 8 }), 12);
    assert.equal(restWorkerCount({ ...cloudify, workerCount: 3, nproc: 8 }), 3);
    assert.equal(restWorkerCount({ ...cloudify, workerCount: 20, nproc: 8 }), 12);
  });

  test("Stratus's default ratio: 1 process on 2 cores, 2 on 4, 3 on 8", () => {
    assert.equal(restWorkerCount({ workerCount: 0, nproc: 2, ...WORKER_DEFAULTS }), 1);
    assert.equal(restWorkerCount({ workerCount: 0, nproc: 4, ...WORKER_DEFAULTS }), 2);
    assert.equal(restWorkerCount({ workerCount: 0, nproc: 8, ...WORKER_DEFAULTS }), 3);
  });
});
