// The `cfy_manager lab` commands as a user runs them: errors, exit codes and stdin passed through.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestLab, type TestLab } from '../../src/lab/testing.js';

const root = process.getuid?.() === 0;
const CLI = ['--import', 'tsx', join(import.meta.dirname, 'fixtures/lab-cli.ts'), 'lab'];
const cli = (args: string[], opts: { input?: string; asNobody?: boolean } = {}) => {
  const [cmd, argv] = opts.asNobody
    ? ['setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, ...CLI, ...args]]
    : [process.execPath, [...CLI, ...args]];
  return spawnSync(cmd as string, argv as string[], {
    encoding: 'utf8',
    input: opts.input ?? '',
    timeout: 30_000,
  });
};

test('lab up without root fails with a clear error and a fix', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-lab-cli-'));
  try {
    const r = cli(['--state-dir', join(dir, 'state'), 'up'], { asNobody: root });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /error: the lab needs root/);
    assert.match(r.stderr, /fix: run it as root/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('commands on a lab that is not up say so', () => {
  const r = cli(['--state-dir', '/nonexistent/stratus-lab', 'status']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /no lab is up in \/nonexistent\/stratus-lab/);
});

test('up refuses a subnet that overlaps an existing host route, and creates nothing', {
  skip: root ? false : 'needs root',
}, async () => {
  const { hostRoutes } = await import('../../src/lab/net.js');
  const route = (await hostRoutes()).find((r) => /\/(1[6-9]|2[0-8])$/.test(r.dst));
  if (!route) return; // no suitable route on this host to collide with
  const dir = mkdtempSync(join(tmpdir(), 'stratus-lab-cli-'));
  try {
    const r = cli(['--state-dir', join(dir, 'state'), '--subnet', route.dst, '--bridge', 'sttover', 'up']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`overlaps the existing route ${route.dst.replace(/[./]/g, '\\$&')}`));
    assert.match(r.stderr, /fix: choose another subnet/);
    assert.equal(existsSync('/sys/class/net/sttover'), false);
    assert.equal(existsSync(join(dir, 'state')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('lab commands on a running 2-node lab', {
  skip: root ? false : 'needs root',
  timeout: 60_000,
}, () => {
  let t: TestLab;
  let flags: string[];
  before(async () => {
    t = await startTestLab({
      nodes: [
        { name: 'manager1', roles: ['manager'] },
        { name: 'lb', roles: ['load_balancer'] },
      ],
    });
    flags = ['--state-dir', t.lab.stateDir];
  });
  after(async () => {
    await t?.down();
  });

  test('exec passes stdin, stdout and the exit code through', () => {
    const r = cli(
      [...flags, 'exec', 'manager1', '--', 'sh', '-c', 'read a; echo "got $a on $(hostname)"; exit 7'],
      {
        input: 'hello\n',
      },
    );
    assert.equal(r.stdout, 'got hello on manager1\n');
    assert.equal(r.status, 7);
  });

  test('exec on a node that does not exist names the nodes there are', () => {
    const r = cli([...flags, 'exec', 'db1', '--', 'true']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no node "db1" in the lab\n {2}fix: use one of: manager1, lb/);
  });

  test('status lists nodes, IPs, roles and state; partition and heal show in it', () => {
    assert.equal(cli([...flags, 'partition', 'lb']).status, 0);
    const rows = JSON.parse(cli([...flags, 'status', '--json']).stdout) as {
      name: string;
      state: string;
      link: string;
    }[];
    assert.deepEqual(
      rows.map((r) => [r.name, r.state, r.link]),
      [
        ['manager1', 'running', 'up'],
        ['lb', 'running', 'cut'],
      ],
    );
    assert.equal(cli([...flags, 'heal', 'lb']).status, 0);
    assert.match(
      cli([...flags, 'status']).stdout,
      /^NODE\s+IP\s+ROLES\s+STATE\s+LINK\s+PID\nmanager1\s+10\.178\.\d+\.11\s+manager\s+running\s+up/,
    );
  });

  test('install refuses a topology the guide cannot install, in one line with a fix, before any change', () => {
    const r = cli([...flags, 'install']);
    assert.equal(r.status, 1);
    assert.equal(
      r.stderr,
      'error: node manager1 (manager) needs a database, and the topology has no database node\n' +
        '  fix: add a node with roles: [database] to the topology\n',
    );
    assert.equal(r.stdout, '');
    const node = join(t.lab.stateDir, 'nodes/manager1/fs');
    assert.equal(existsSync(join(node, 'root/.cloudify-test-ca')), false);
    assert.equal(existsSync(join(node, 'etc/cloudify/config.yaml')), false);
  });
});
