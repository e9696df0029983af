// Bad input at the edges of the three bins: one line naming the problem, the right exit code, and no
// stack trace.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';

const ROOT = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'stratus-bad-input-'));
after(() => rmSync(work, { recursive: true, force: true }));

function run(bin: string, args: string[]) {
  const r = spawnSync(join(ROOT, 'bin', bin), args, {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, CFY_WORKDIR: work },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const noStack = (text: string) => {
  assert.doesNotMatch(text, /^\s+at /m, `a stack trace:\n${text}`);
  assert.doesNotMatch(text, /node_modules|\.ts:\d+/, `a source path:\n${text}`);
};

describe('cfy_manager', () => {
  it('serve --port abc names the flag and the range', () => {
    const r = run('cfy_manager', ['serve', '--port', 'abc', '--data-dir', join(work, 'd')]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'cfy_manager: error: --port must be a whole number from 0 to 65535, got "abc"\n');
    noStack(r.stdout + r.stderr);
  });

  it('serve --max-concurrent-workflows 0 is refused', () => {
    const r = run('cfy_manager', ['serve', '--max-concurrent-workflows', '0', '--data-dir', join(work, 'd')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^cfy_manager: error: --max-concurrent-workflows must be a whole number from 1/);
    noStack(r.stderr);
  });

  it('worker without --db says what it needs', () => {
    const r = run('cfy_manager', ['worker', '--amqp', 'amqp://127.0.0.1:1']);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      'cfy_manager: error: --db is required: the worker shares the PostgreSQL database of the REST service\n',
    );
  });

  it('worker with an unreachable database fails in one line', () => {
    const r = run('cfy_manager', [
      'worker',
      '--db',
      'postgres://u@127.0.0.1:1/x',
      '--amqp',
      'amqp://127.0.0.1:1',
    ]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(
      r.stderr,
      /^cfy_manager: error: could not reach PostgreSQL at 127\.0\.0\.1:1: connection refused; check postgresql_client/,
    );
    noStack(r.stderr);
  });
});

describe('cfy', () => {
  it('executions start --timeout -1 is a usage error', () => {
    const r = run('cfy', ['executions', 'start', 'install', '-d', 'dep', '--timeout', '-1']);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /--timeout <seconds>' argument '-1' is invalid\. It must be a positive number of seconds/,
    );
    noStack(r.stderr);
  });

  it('profiles use --rest-port abc is a usage error', () => {
    const r = run('cfy', ['profiles', 'use', '127.0.0.1', '--rest-port', 'abc']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--rest-port <port>' argument 'abc' is invalid/);
    noStack(r.stderr);
  });
});
