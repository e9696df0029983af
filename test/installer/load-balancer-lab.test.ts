// load_balancer_service through the real binary in a lab node: a config naming no managers is refused
// before anything changes; install runs HAProxy under supervisord; configure with a changed manager list
// reloads it (same master, new worker); remove deletes the program and the files. The managers named here
// are addresses where nothing listens, so HAProxy reports them DOWN: the managers' own install is tested
// elsewhere, and the traffic through HAProxy in load-balancer.test.ts.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { startTestLab, type TestLab } from '../../src/lab/testing.js';
import { cfy, nodeFile, nodeIp } from './lab-helpers.js';

const root = process.getuid?.() === 0;
const skip = root ? false : 'needs root: the lab creates namespaces, and the installer runs as root';

describe('load_balancer_service in a lab node', { skip, timeout: 300_000 }, () => {
  let t: TestLab;
  let ip: string;
  const managerIp = (n: number) => ip.replace(/\.\d+$/, `.${210 + n}`);
  const writeConfig = (managers: number[]) => {
    const doc = {
      manager: { private_ip: ip, public_ip: ip },
      load_balancer: {
        managers: Object.fromEntries(managers.map((n) => [`manager${n}`, { ip: managerIp(n) }])),
        cert_path: `/root/.cloudify-test-ca/${ip}.crt`,
        key_path: `/root/.cloudify-test-ca/${ip}.key`,
        ca_path: '/root/.cloudify-test-ca/ca.crt',
      },
      services_to_install: ['load_balancer_service'],
    };
    writeFileSync(nodeFile(t.lab, 'lb', 'etc/cloudify/config.yaml'), stringify(doc));
  };
  const programs = () => readdirSync(nodeFile(t.lab, 'lb', 'etc/supervisord.d'));
  const managersSeen = async () => {
    const r = await t.lab.exec('lb', [
      'sh',
      '-c',
      'echo \'show stat\' | socat - /run/cloudify-haproxy/admin.sock | awk -F, \'$1=="managers" && $2 ~ /^manager/ {print $2" "$18}\'',
    ]);
    return r.stdout.trim().split('\n').filter(Boolean);
  };
  const masterPid = async () =>
    (
      await t.lab.exec('lb', ['supervisorctl', '-c', '/etc/supervisor/supervisord.conf', 'pid', 'haproxy'])
    ).stdout.trim();

  before(async () => {
    t = await startTestLab({ name: 'lbt', nodes: [{ name: 'lb', roles: ['load_balancer'] }] });
    ip = nodeIp(t.lab, 'lb');
    const cert = await cfy(t.lab, 'lb', ['generate-test-cert', '-s', ip]);
    assert.equal(cert.code, 0, cert.stderr);
  });
  after(async () => {
    await t?.down();
  });

  test('a config naming no managers: one line with the fix, nothing installed', async () => {
    writeConfig([]);
    const r = await cfy(t.lab, 'lb', ['install'], 120_000);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const lines = r.stderr.split('\n').filter((l) => /Error/.test(l));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /load_balancer\.managers names no managers: add each manager node as/);
    assert.ok(!existsSync(nodeFile(t.lab, 'lb', 'etc/cloudify/.installed')));
    assert.deepEqual(programs(), []);
  });

  test('install: HAProxy under supervisord with the rendered files', async () => {
    writeConfig([1, 2]);
    const r = await cfy(t.lab, 'lb', ['install'], 240_000);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(programs(), ['haproxy.cloudify.conf']);
    const pem = nodeFile(t.lab, 'lb', 'etc/haproxy/cloudify/cert.pem');
    assert.equal(statSync(pem).mode & 0o777, 0o400);
    assert.match(readFileSync(pem, 'utf8'), /END CERTIFICATE-----\n-----BEGIN PRIVATE KEY/);
    const cfg = readFileSync(nodeFile(t.lab, 'lb', 'etc/haproxy/cloudify/haproxy.cfg'), 'utf8');
    assert.match(cfg, new RegExp(`server manager2 ${managerIp(2).replaceAll('.', '\\.')}:443 `));
    // Nothing listens at the managers' addresses: both DOWN once checked.
    let seen: string[] = [];
    for (let i = 0; i < 50 && !(seen.length === 2 && seen.every((s) => s.endsWith('DOWN'))); i++) {
      await new Promise((res) => setTimeout(res, 200));
      seen = await managersSeen();
    }
    assert.deepEqual(seen, ['manager1 DOWN', 'manager2 DOWN']);
  });

  test('configure with another manager list reloads the running HAProxy', async () => {
    const before = await masterPid();
    writeConfig([1, 2, 3]);
    const r = await cfy(t.lab, 'lb', ['configure'], 120_000);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /Reloading HAProxy/);
    assert.equal(await masterPid(), before, 'the master was restarted instead of reloaded');
    assert.deepEqual(
      (await managersSeen()).map((s) => s.split(' ')[0]),
      ['manager1', 'manager2', 'manager3'],
    );
  });

  test('remove deletes the program and the files', async () => {
    const r = await cfy(t.lab, 'lb', ['remove'], 120_000);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /Cloudify Load Balancer successfully removed!/);
    assert.deepEqual(programs(), []);
    assert.ok(!existsSync(nodeFile(t.lab, 'lb', 'etc/haproxy/cloudify')));
  });
});
