// The `ctx` client that scripts run (the worker's one-file build of src/worker/ctx-cli.ts): when the
// proxy is not there or does not answer, one line on stderr and exit 1, within its timeout.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { ctxBinDir } from '../../src/worker/ctx-bin.js';
import { freePort } from '../helpers/postgres.js';

const ctx = (url: string, ...args: string[]) =>
  spawnSync(join(ctxBinDir(), 'ctx'), args, {
    env: { ...process.env, CTX_SOCKET_URL: url },
    encoding: 'utf8',
  });

test('no proxy listening: one line naming the proxy, exit 1', async () => {
  const url = `http://127.0.0.1:${await freePort()}/token`;
  const r = ctx(url, 'logger', 'info', 'hi');
  assert.equal(r.status, 1);
  assert.match(r.stderr, new RegExp(`^ctx: the ctx proxy at ${url} did not answer: .*ECONNREFUSED.*\\n$`));
});

test('a proxy that never answers: exit 1 after the timeout given with -t', async () => {
  const server = createServer(() => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
    const t0 = Date.now();
    // Not spawnSync: it would block this process's server. The client runs beside it.
    const r = await new Promise<{ status: number; stderr: string }>((resolve) =>
      execFile(
        join(ctxBinDir(), 'ctx'),
        ['-t', '1', 'instance', 'id'],
        { env: { ...process.env, CTX_SOCKET_URL: url } },
        (err, _out, stderr) => resolve({ status: (err as { code?: number } | null)?.code ?? 0, stderr }),
      ),
    );
    const ms = Date.now() - t0;
    assert.equal(r.status, 1);
    assert.equal(r.stderr, `ctx: the ctx proxy at ${url} did not answer: no answer within 1 s\n`);
    assert.ok(ms >= 1000 && ms < 10_000, `ended after ${ms} ms`);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});
