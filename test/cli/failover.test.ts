// Two manager processes on one PostgreSQL. The first is killed; `cfy deployments list` still answers
// through the second. The extra latency of the first command after the failure and of the following
// ones is measured, for a node that refuses connections (killed process) and for one that drops them
// (a blackholed address, which costs the 5 s connect timeout): Stratus pays that once, because the
// profile remembers the node that answered last; Cloudify pays it on every command.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { type Cfy, json, makeCfy, type ManagerProcess, startManager, useArgs } from './helpers.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * A listener that never accepts (its only thread sleeps without using the CPU): once its queue is full
 * the kernel drops SYNs, so a connect hangs as it does to a dead host.
 */
async function blackhole(port: number): Promise<{ stop(): void }> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '-e',
      `require('net').createServer().listen({ port: ${port}, host: '127.0.0.1', backlog: 1 }, () => {
         console.log('ready'); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 120000); })`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((r) => child.stdout!.once('data', () => r()));
  // Fill the accept queue so that later connects hang.
  const fillers: Socket[] = [];
  for (let i = 0; i < 4; i++) fillers.push(connect(port, '127.0.0.1').on('error', () => {}));
  await new Promise((r) => setTimeout(r, 300));
  return {
    stop() {
      for (const s of fillers) s.destroy();
      child.kill('SIGKILL');
    },
  };
}

describe('cluster failover: two managers sharing one PostgreSQL', () => {
  let pg: TestPostgres;
  let m1: ManagerProcess;
  let m2: ManagerProcess;
  let hole: { stop(): void } | undefined;
  const cfy: Cfy = makeCfy();
  const ctxFile = () => join(cfy.workdir, '.cloudify/profiles/127.0.0.1/context.json');
  const editProfile = (f: (p: any) => void) => {
    const p = JSON.parse(readFileSync(ctxFile(), 'utf8'));
    f(p);
    writeFileSync(ctxFile(), JSON.stringify(p, null, 2));
  };
  const timed = async (n: number) => {
    const ms: number[] = [];
    for (let i = 0; i < n; i++) {
      const r = await cfy(['deployments', 'list', '--json']);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(Array.isArray(json(r)));
      ms.push(r.ms);
    }
    return ms;
  };

  before(async () => {
    pg = await startPostgres();
    m1 = await startManager({ db: pg.url });
    m2 = await startManager({ db: pg.url });
  });
  after(async () => {
    hole?.stop();
    await m1?.stop();
    await m2?.stop();
    await pg?.stop();
    cfy.cleanup();
  });

  test('the second manager answers after the first is killed; the dead node costs once', async (t) => {
    assert.equal((await cfy(useArgs(m1.port))).code, 0);
    // The cluster as `cfy cluster update-profile` stores it; both nodes live on this host, so each
    // entry carries its own rest_port (a per-node override of the profile).
    editProfile((p) => {
      p.cluster = {
        manager: [
          { hostname: 'mgr-1', host_ip: '127.0.0.1', host_type: 'manager', rest_port: m1.port },
          { hostname: 'mgr-2', host_ip: '127.0.0.1', host_type: 'manager', rest_port: m2.port },
        ],
      };
    });
    assert.equal(
      (await cfy(['blueprints', 'upload', join(import.meta.dirname, 'fixtures/hello_world'), '-b', 'fo']))
        .code,
      0,
    );
    const baseline = median(await timed(3));

    await m1.kill();
    const [firstAfterKill, ...following] = await timed(4);
    const profile = JSON.parse(readFileSync(ctxFile(), 'utf8'));
    assert.equal(profile.last_good_manager, 'mgr-2');
    assert.equal(profile.cluster.manager[0].hostname, 'mgr-2');
    const pinned = await cfy(['deployments', 'list', '--manager', 'mgr-1']);
    assert.equal(pinned.code, 3);
    assert.match(pinned.stderr, /^REST service at manager 127\.0\.0\.1 is not responding!/);

    // Now the dead node drops connections instead of refusing them, and the profile forgets mgr-2.
    hole = await blackhole(m1.port);
    editProfile((p) => {
      p.last_good_manager = null;
      p.cluster.manager.reverse();
    });
    const [firstBlackholed, ...followingBlackholed] = await timed(3);

    const extra = (ms: number) => Math.round(ms - baseline);
    const report = {
      baselineMs: Math.round(baseline),
      refusedFirstExtraMs: extra(firstAfterKill!),
      refusedFollowingExtraMs: following.map(extra),
      blackholedFirstExtraMs: extra(firstBlackholed!),
      blackholedFollowingExtraMs: followingBlackholed.map(extra),
    };
    t.diagnostic(`failover latencies: ${JSON.stringify(report)}`);
    console.log(`failover latencies: ${JSON.stringify(report)}`);

    // A refused connection fails over at once.
    assert.ok(report.refusedFirstExtraMs < 2500, JSON.stringify(report));
    for (const x of report.refusedFollowingExtraMs) assert.ok(x < 2500, JSON.stringify(report));
    // A dropped connection costs the 5 s connect timeout, once; the next commands go to mgr-2 first.
    assert.ok(
      report.blackholedFirstExtraMs >= 3500 && report.blackholedFirstExtraMs < 9000,
      JSON.stringify(report),
    );
    for (const x of report.blackholedFollowingExtraMs) assert.ok(x < 2500, JSON.stringify(report));
  });
});
