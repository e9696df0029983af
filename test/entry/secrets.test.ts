// No secret on the command line or in the start-up output: a database or broker URL with a password is
// refused on argv (ps shows argv to every local user) and taken from the environment or a file, and the
// admin password is printed only when the manager generated it.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { secretsCipher } from '../../src/entry/manager.js';
import { freePort } from '../helpers/postgres.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CFY_MANAGER = join(ROOT, 'bin', 'cfy_manager');
const work = mkdtempSync(join(tmpdir(), 'stratus-secrets-'));
after(() => rmSync(work, { recursive: true, force: true }));

const DB_URL = 'postgres://u:db-secret-1@127.0.0.1:1/x';
const AMQP_URL = 'amqp://guest:amqp-secret-2@127.0.0.1:1';

function run(args: string[], env: Record<string, string> = {}) {
  const clean = { ...process.env };
  for (const k of ['STRATUS_DB_URL', 'STRATUS_AMQP_URL', 'STRATUS_ADMIN_PASSWORD']) delete clean[k];
  const r = spawnSync(CFY_MANAGER, args, {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...clean, ...env },
  });
  return { code: r.status, out: r.stdout + r.stderr, stderr: r.stderr };
}

describe('database and broker URLs', () => {
  for (const [cmd, flag, url, env] of [
    ['serve', '--db', DB_URL, 'STRATUS_DB_URL'],
    ['serve', '--amqp', AMQP_URL, 'STRATUS_AMQP_URL'],
    ['worker', '--db', DB_URL, 'STRATUS_DB_URL'],
    ['worker', '--amqp', AMQP_URL, 'STRATUS_AMQP_URL'],
  ] as const) {
    it(`${cmd} ${flag} with a password on the command line is refused, naming ${env}`, () => {
      const r = run([cmd, flag, url, '--data-dir', join(work, 'never')]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`${flag} holds a password.*${env}.*${flag}-url-file`));
      assert.doesNotMatch(r.out, /secret/);
    });
  }

  it('a URL without a password is still taken from the flag', () => {
    const r = run(['worker', '--db', 'postgres://u@127.0.0.1:1/x', '--amqp', 'amqp://127.0.0.1:1']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /could not reach PostgreSQL at 127\.0\.0\.1:1/);
  });

  it('the URLs come from the environment or from files', () => {
    const fromEnv = run(['worker'], { STRATUS_DB_URL: DB_URL, STRATUS_AMQP_URL: AMQP_URL });
    assert.match(fromEnv.stderr, /could not reach PostgreSQL at 127\.0\.0\.1:1/);
    assert.doesNotMatch(fromEnv.out, /secret/);
    const dbFile = join(work, 'db-url');
    const amqpFile = join(work, 'amqp-url');
    writeFileSync(dbFile, `${DB_URL}\n`, { mode: 0o600 });
    writeFileSync(amqpFile, AMQP_URL, { mode: 0o600 });
    const fromFile = run(['worker', '--db-url-file', dbFile, '--amqp-url-file', amqpFile]);
    assert.match(fromFile.stderr, /could not reach PostgreSQL at 127\.0\.0\.1:1/);
    assert.doesNotMatch(fromFile.out, /secret/);
    const missing = run(['worker', '--db-url-file', join(work, 'nope'), '--amqp-url-file', amqpFile]);
    assert.match(missing.stderr, /--db-url-file .*nope cannot be read \(ENOENT\)/);
  });
});

/** `cfy_manager serve` on a new embedded data dir until it prints its finish message; its output. */
async function firstStart(env: Record<string, string>): Promise<string> {
  const port = await freePort();
  const clean = { ...process.env };
  delete clean.STRATUS_ADMIN_PASSWORD;
  const dataDir = mkdtempSync(join(work, 'data-'));
  const child = spawn(CFY_MANAGER, ['serve', '--port', String(port), '--data-dir', dataDir], {
    cwd: ROOT,
    env: { ...clean, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise((done) => child.once('exit', done));
  try {
    await new Promise<void>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`no finish message in 90 s:\n${out}`)), 90_000);
      const keep = (d: Buffer) => {
        out += d.toString();
        if (/cfy profiles use/.test(out)) {
          clearTimeout(timer);
          done();
        }
      };
      child.stdout!.on('data', keep);
      child.stderr!.on('data', keep);
      child.once('exit', () => {
        clearTimeout(timer);
        fail(new Error(`serve exited:\n${out}`));
      });
    });
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  return out;
}

describe('the admin password at start-up', () => {
  it('is not printed when it came from STRATUS_ADMIN_PASSWORD', async () => {
    const out = await firstStart({ STRATUS_ADMIN_PASSWORD: 'given-pw-3f9a' });
    assert.doesNotMatch(out, /given-pw-3f9a/);
    assert.match(out, /Admin password: \(the one given in STRATUS_ADMIN_PASSWORD/);
  });

  it('is printed once when the manager generated it', async () => {
    const out = await firstStart({});
    assert.match(out, /Admin password: [\w-]{16}\n/);
  });
});

describe('the secrets key', () => {
  it('can live outside the data directory (STRATUS_SECRETS_KEY_FILE)', () => {
    const dataDir = mkdtempSync(join(work, 'keyless-data-'));
    const keyFile = join(work, 'keys', 'secrets.key');
    const sealed = secretsCipher({ dataDir, secretsKeyFile: keyFile }).encrypt('s3cr3t');
    assert.equal(existsSync(join(dataDir, 'secrets.key')), false);
    assert.equal(statSync(keyFile).mode & 0o777, 0o400);
    assert.equal(
      secretsCipher({ dataDir: join(work, 'other'), secretsKeyFile: keyFile }).decrypt(sealed),
      's3cr3t',
    );
  });
});
