// manager_service, as an operator drives it, on the shared lab of test/installer/db-cluster-lab.test.ts once
// the database and store scenarios have run: the broker installed from the guide on the DB cluster that
// is there, then two managers from the guide's manager template. The first creates the database; a second
// with the wrong admin password is refused and leaves nothing behind; fixed, it joins and shares the
// data and the secrets key; `remove` takes it out of the managers table.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request } from 'node:https';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { GUIDE_SECRETS } from '../../src/lab/guide-config.js';
import { within } from '../../src/lab/within.js';
import {
  CFY,
  cfy,
  DB_NODES as DBS,
  dbsList,
  type LabRef,
  labInstall,
  leaderOf,
  nodeFile,
  nodeIp,
  settled,
} from './lab-helpers.js';
import { LAB_ADMIN, managerDoc } from './manager-guide.js';

const LICENSE = `license:
  customer_id: LAB-CUSTOMER-1
  expiration_date: 12/31/2099
  license_edition: Spire
  trial: false
  cloudify_version: '5.1'
  capabilities: [HA]
signature: !!binary |
  AAAA
`;

interface Answer {
  status: number;
  body: string;
}

function call(
  t: LabRef,
  ip: string,
  port: number,
  path: string,
  opts: { method?: string; password?: string; body?: unknown } = {},
): Promise<Answer | undefined> {
  const ca = readFileSync(nodeFile(t.lab, 'manager1', 'root/.cloudify-test-ca/ca.crt'));
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  return new Promise((resolve) => {
    const req = request(
      {
        host: ip,
        port,
        path,
        method: opts.method ?? 'GET',
        ca,
        timeout: 10_000,
        agent: false,
        headers: {
          tenant: 'default_tenant',
          ...(payload ? { 'content-type': 'application/json' } : {}),
          ...(opts.password
            ? { authorization: `Basic ${Buffer.from(`admin:${opts.password}`).toString('base64')}` }
            : {}),
        },
      },
      (res) => {
        let body = '';
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end(payload);
  });
}

function helpers(t: LabRef) {
  const ip = (n: string) => nodeIp(t.lab, n);
  const writeConfig = (node: string, adminPassword = LAB_ADMIN, license = '') => {
    const doc = managerDoc({
      self: ip(node),
      dbs: DBS.map((name) => ({ name, ip: ip(name) })),
      brokers: [{ name: 'queue1', ip: ip('queue1') }],
      adminPassword,
    });
    doc.manager.cloudify_license_path = license;
    writeFileSync(nodeFile(t.lab, node, 'etc/cloudify/config.yaml'), stringify(doc));
  };
  return { ip, writeConfig };
}

/**
 * The store scenarios end with a leader whose Patroni was stopped and resumed, and Patroni may then still
 * be rewinding a member: the managers start on a cluster that `dbs list` calls healthy (one leader, a sync
 * replica), after the replicas are rebuilt if Patroni does not settle it by itself within 60 s.
 */
async function dbClusterSettled(t: LabRef): Promise<void> {
  const ips = DBS.map((n) => nodeIp(t.lab, n));
  const ok = () => settled(t.lab, 'db1', ips);
  const healthy = () => dbsList(t.lab, 'db1');
  if (!(await within(60_000, ok, Boolean, 'DB cluster settled').catch(() => false))) {
    // The hung-Patroni scenario can leave a member that does not follow the leader by itself (it took
    // writes of its own, or its rewind failed): rebuild the replicas, as an operator would.
    const before = await healthy();
    process.stdout.write(
      `# DB cluster not settled after the store phase:\n${before.out.replace(/^/gm, '#   ')}\n`,
    );
    const leader = await within(60_000, () => leaderOf(t.lab, 'db1', ips), Boolean, 'a DB leader');
    for (const ip of ips.filter((x) => x !== leader)) {
      const r = await cfy(t.lab, 'db1', ['dbs', 'reinit', '-a', ip], 120_000);
      assert.equal(r.code, 0, r.stdout + r.stderr);
    }
  }
  const last = await within(180_000, healthy, (x) => x.code === 0, 'dbs list healthy').catch(
    async (err: Error) => {
      throw new Error(`${err.message}\n${(await healthy()).out}`);
    },
  );
  assert.equal(last.code, 0);
}

export function registerManagerClusterScenarios(t: LabRef): void {
  describe('manager_service from the guide', { timeout: 900_000 }, () => {
    before(() => dbClusterSettled(t));
    brokerAndFirstManager(t);
    secondManager(t);
    operations(t);
  });
}

/** The broker, then the first manager. */
function brokerAndFirstManager(t: LabRef): void {
  const { ip, writeConfig } = helpers(t);
  test('the queue node installs from the guide; the database nodes are installed already', async () => {
    const log: string[] = [];
    assert.equal(await labInstall(t.lab, (l) => log.push(l), ['database', 'queue']), 0, log.join('\n'));
    // The database scenarios installed db1-3 on this lab: the sequence finds them installed and goes on.
    const installs = log.filter((l) => /^\[(db\d|queue1)\] .* installed in \d+\.\d s$/.test(l));
    assert.deepEqual(
      installs.map((l) => l.split(']')[0]),
      ['[queue1'],
      log.join('\n'),
    );
    const already = log.filter((l) => /^\[db\d\] .* already installed$/.test(l));
    assert.equal(already.length, 3, log.join('\n'));
    assert.ok(!log.some((l) => l.startsWith('[manager')), log.join('\n'));
  });

  test('the first manager creates the database and serves 443, 53333 and 80; the finish message', async () => {
    writeFileSync(nodeFile(t.lab, 'manager1', 'root/license.yaml'), LICENSE);
    writeConfig('manager1', LAB_ADMIN, '/root/license.yaml');
    const r = await cfy(t.lab, 'manager1', ['install'], 600_000);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    process.stdout.write(`# manager1 install: ${/Finished in [^\n]*/.exec(r.stdout)?.[0]}\n`);
    const rule = '#'.repeat(50);
    assert.ok(
      r.stdout.includes(
        [
          rule,
          `Manager is up at https://${ip('manager1')}`,
          `Admin password: ${LAB_ADMIN}`,
          rule,
          'To connect to the manager, use:',
          `cfy profiles use ${ip('manager1')} -u admin -p ${LAB_ADMIN} -t default_tenant -ssl -c path/to/cloudify_external_ca_cert.pem`,
          rule,
        ].join('\n'),
      ),
      r.stdout,
    );
    for (const port of [443, 53333]) {
      assert.equal((await call(t, ip('manager1'), port, '/api/v3.1/status'))?.status, 401, `port ${port}`);
    }
    const ok = await call(t, ip('manager1'), 443, '/api/v3.1/status', { password: LAB_ADMIN });
    assert.equal(ok?.status, 200, ok?.body);
    const plain = await new Promise<number | undefined>((resolve) => {
      const req = httpRequest(
        { host: ip('manager1'), port: 80, path: '/api/v3.1/status', timeout: 5000 },
        (res) => {
          res.resume();
          resolve(res.statusCode);
        },
      );
      req.on('error', () => resolve(undefined));
      req.end();
    });
    assert.equal(plain, 400, 'plain HTTP /api answers 400 SSL_REQUIRED');
    const lic = await call(t, ip('manager1'), 443, '/api/v3.1/license', { password: LAB_ADMIN });
    assert.equal(JSON.parse(lic!.body).items[0].customer_id, 'LAB-CUSTOMER-1', 'the license was uploaded');
    const st = await cfy(t.lab, 'manager1', ['status']);
    assert.equal(st.code, 0, st.stdout + st.stderr);
    assert.match(st.stdout, /\| +cloudify-mgmtworker +\| +RUNNING +\|/);
    assert.match(st.stdout, /\| +cloudify-restservice +\| +RUNNING +\|/);
  });
}

/** Secrets of the first manager, then a second one: refused, then fixed. */
function secondManager(t: LabRef): void {
  const { ip, writeConfig } = helpers(t);
  test('secrets stay off argv and out of the program files; env files 0600, keys 0400', async () => {
    const mode = (p: string) => (statSync(nodeFile(t.lab, 'manager1', p)).mode & 0o777).toString(8);
    assert.equal(mode('etc/cloudify/manager/restservice.env'), '600');
    assert.equal(mode('etc/cloudify/manager/mgmtworker.env'), '600');
    assert.equal(mode('etc/cloudify/ssl/cloudify_internal_key.pem'), '400');
    assert.equal(mode('etc/cloudify/ssl/postgresql.key'), '400');
    const secrets = [GUIDE_SECRETS.postgresPassword, GUIDE_SECRETS.rabbitPassword, LAB_ADMIN];
    const programs = readdirSync(nodeFile(t.lab, 'manager1', 'etc/supervisord.d'));
    for (const f of programs) {
      const text = readFileSync(nodeFile(t.lab, 'manager1', `etc/supervisord.d/${f}`), 'utf8');
      for (const s of secrets) assert.ok(!text.includes(s), `${f} holds a password`);
    }
    const logs = readdirSync(nodeFile(t.lab, 'manager1', 'var/log'), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name));
    assert.ok(logs.some((f) => f.endsWith('cloudify-restservice.log')));
    for (const f of logs) {
      const text = readFileSync(f, 'utf8');
      for (const s of secrets) assert.ok(!text.includes(s), `${f} holds a password`);
    }
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      let cmdline = '';
      try {
        cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      // The programs and the installer's children (other labs may run on this host too).
      if (!cmdline.includes('cfy_manager')) continue;
      for (const s of secrets) assert.ok(!cmdline.includes(s), `process ${pid} has a password in argv`);
    }
  });

  test('a second manager with the wrong admin password is refused in one message and installs nothing', async () => {
    writeConfig('manager2', 'not-the-admin-password');
    const r = await cfy(t.lab, 'manager2', ['install'], 600_000);
    assert.equal(r.code, 1);
    assert.match(
      r.stdout + r.stderr,
      /ClusteringError: Existing cluster could not be joined due to configuration issues\. Please run cfy_manager remove, then fix the configuration issues before reinstalling\. Issues were:\n- manager\.security\.admin_password is not the cluster's current admin password/,
    );
    assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at /, 'no stack trace');
    const programs = readdirSync(nodeFile(t.lab, 'manager2', 'etc/supervisord.d'));
    assert.deepEqual(programs, [], 'no program written');
    assert.ok(!existsSync(nodeFile(t.lab, 'manager2', 'etc/cloudify/ssl/cloudify_internal_key.pem')));
    const managers = await call(t, ip('manager1'), 443, '/api/v3.1/managers', { password: LAB_ADMIN });
    assert.equal(JSON.parse(managers!.body).items.length, 1);
    const rm = await cfy(t.lab, 'manager2', ['remove']);
    assert.equal(rm.code, 0, rm.stdout + rm.stderr);
  });

  test('fixed, the second manager joins: both serve the same data and secrets', async () => {
    writeConfig('manager2');
    const r = await cfy(t.lab, 'manager2', ['install'], 600_000);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    process.stdout.write(`# manager2 install (joining): ${/Finished in [^\n]*/.exec(r.stdout)?.[0]}\n`);
    const body = { value: 'shared-value-1', visibility: 'tenant' };
    const put = await call(t, ip('manager1'), 443, '/api/v3.1/secrets/lab-secret', {
      method: 'PUT',
      password: LAB_ADMIN,
      body,
    });
    assert.ok(put && put.status < 300, put?.body);
    const got = await call(t, ip('manager2'), 443, '/api/v3.1/secrets/lab-secret', { password: LAB_ADMIN });
    assert.equal(got?.status, 200, got?.body);
    assert.equal(JSON.parse(got!.body).value, 'shared-value-1', 'manager2 decrypts what manager1 stored');
    const managers = await call(t, ip('manager2'), 443, '/api/v3.1/managers', { password: LAB_ADMIN });
    const items = JSON.parse(managers!.body).items as { hostname: string; private_ip: string }[];
    assert.deepEqual(items.map((m) => `${m.hostname}@${m.private_ip}`).sort(), [
      `manager1@${ip('manager1')}`,
      `manager2@${ip('manager2')}`,
    ]);
  });
}

/** Operations on the running managers. */
function operations(t: LabRef): void {
  const { ip } = helpers(t);
  test('configure again, add-networks and reset-admin-password on the running first manager', async () => {
    const again = await cfy(t.lab, 'manager1', ['configure', '--print-finish-message'], 600_000);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stdout, new RegExp(`\\nAdmin password: ${LAB_ADMIN}\\n`));
    assert.equal(
      (await call(t, ip('manager1'), 443, '/api/v3.1/status', { password: LAB_ADMIN }))?.status,
      200,
    );
    const add = await cfy(t.lab, 'manager1', ['add-networks', '--networks', '{"lan2": "10.250.0.5"}']);
    assert.equal(add.code, 0, add.stdout + add.stderr);
    assert.match(add.stdout, /New networks were added successfully\./);
    assert.match(add.stdout, /does not cover 10\.250\.0\.5/, 'the supplied internal cert lacks the address');
    const dup = await cfy(t.lab, 'manager1', ['add-networks', '--networks', '{"lan2": "10.250.0.6"}']);
    assert.equal(dup.code, 1);
    assert.match(dup.stdout + dup.stderr, /Network name lan2 already exists/);
    const managers = await call(t, ip('manager1'), 443, '/api/v3.1/managers', { password: LAB_ADMIN });
    const m1 = (
      JSON.parse(managers!.body).items as { hostname: string; networks: Record<string, string> }[]
    ).find((m) => m.hostname === 'manager1')!;
    assert.equal(m1.networks.lan2, '10.250.0.5');
    assert.equal(m1.networks['load-balancer'], undefined);
    const reset = await t.lab.exec('manager1', [CFY, 'reset-admin-password'], {
      input: 'a-reset-password-2\n',
    });
    assert.equal(reset.code, 0, reset.stdout + reset.stderr);
    assert.equal(
      (await call(t, ip('manager2'), 443, '/api/v3.1/status', { password: 'a-reset-password-2' }))?.status,
      200,
      'the other manager takes the new password',
    );
    const back = await t.lab.exec('manager1', [CFY, 'reset-admin-password'], { input: `${LAB_ADMIN}\n` });
    assert.equal(back.code, 0, back.stdout + back.stderr);
  });

  test('remove takes the second manager out of the managers table and stops its programs', async () => {
    const r = await cfy(t.lab, 'manager2', ['remove']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(await call(t, ip('manager2'), 443, '/api/v3.1/status'), undefined, 'nothing listens');
    assert.ok(!existsSync(nodeFile(t.lab, 'manager2', 'etc/cloudify/manager/restservice.env')));
    const managers = await call(t, ip('manager1'), 443, '/api/v3.1/managers', { password: LAB_ADMIN });
    assert.deepEqual(
      (JSON.parse(managers!.body).items as { hostname: string }[]).map((m) => m.hostname),
      ['manager1'],
    );
  });
}
