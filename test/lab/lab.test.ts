// A 4-node lab, driven like an operator would: isolation, reachability, partition, kill, down without a trace.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Lab } from '../../src/lab/lab.js';
import { netnsInode } from '../../src/lab/net.js';
import { isAlive, pidsInNetns } from '../../src/lab/procs.js';
import { writeState } from '../../src/lab/state.js';
import { startTestLab, type TestLab } from '../../src/lab/testing.js';
import { within } from '../../src/lab/within.js';

const root = process.getuid?.() === 0;
const skip = root ? false : 'needs root: the lab creates namespaces and a bridge';

const spec = {
  name: 'four',
  nodes: [
    { name: 'db1', roles: ['database' as const] },
    { name: 'queue1', roles: ['queue' as const] },
    { name: 'manager1', roles: ['manager' as const] },
    { name: 'lb', roles: ['load_balancer' as const] },
  ],
};

/** What the host looks like, to compare after `down`. */
function hostSnapshot() {
  const sh = (cmd: string) => spawnSync('sh', ['-c', cmd], { encoding: 'utf8' }).stdout;
  return {
    netns: sh('ip netns list'),
    links: sh('ip -o link show | cut -d: -f2'),
    addrs: sh('ip -o -4 addr show'),
    routes: sh('ip -4 route show table all'),
    mounts: readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[4])
      .sort(),
    etcCloudify: existsSync('/etc/cloudify'),
  };
}

const connect = (host: string, timeoutS: number) =>
  `import socket; socket.create_connection(('${host}', 8000), ${timeoutS}); print('connected')`;

describe('a 4-node lab', { skip, timeout: 120_000 }, () => {
  let t: TestLab;
  let lab: Lab;
  let before0: ReturnType<typeof hostSnapshot>;
  const inodes: number[] = [];

  before(async () => {
    before0 = hostSnapshot();
    t = await startTestLab(spec);
    lab = t.lab;
    for (const n of spec.nodes) inodes.push(netnsInode(lab.node(n.name).ns.netns)!);
  });
  after(async () => {
    await t?.down(); // also on failure: the helper is idempotent
  });

  test('a second up is idempotent: same nodes, same init processes', async () => {
    const pids = (await lab.status()).map((s) => s.pid);
    assert.match(await lab.up(), /4 nodes .* 0 started/);
    assert.deepEqual(
      (await lab.status()).map((s) => s.pid),
      pids,
    );
  });

  test('each node sees its own hostname and IP, and every node in its hosts file', async () => {
    for (const n of lab.requireState().topology.nodes) {
      const r = await lab.exec(n.name, [
        'sh',
        '-c',
        'hostname; ip -o -4 addr show dev eth0; getent hosts lb',
      ]);
      assert.equal(r.code, 0, r.stderr);
      const [hostname, addr, lb] = r.stdout.split('\n');
      assert.equal(hostname, n.name);
      assert.match(addr!, new RegExp(`inet ${n.ip.replaceAll('.', '\\.')}/24`));
      assert.match(lb!, /^10\.178\.\d+\.14\s+lb$/);
    }
    assert.notEqual(
      spawnSync('getent', ['hosts', 'manager1']).status,
      0,
      'the host does not resolve node names',
    );
  });

  test('a file written to /etc/cloudify in one node is invisible in another and on the host', async () => {
    assert.equal((await lab.exec('db1', ['sh', '-c', 'echo secret > /etc/cloudify/only-db1'])).code, 0);
    assert.equal((await lab.exec('db1', ['cat', '/etc/cloudify/only-db1'])).stdout, 'secret\n');
    assert.notEqual((await lab.exec('queue1', ['cat', '/etc/cloudify/only-db1'])).code, 0);
    assert.equal(existsSync('/etc/cloudify/only-db1'), false);
    // /tmp and /var/log are private too; /usr is the host's.
    assert.equal(
      (await lab.exec('db1', ['sh', '-c', 'touch /tmp/x /var/log/x && ls /usr/bin/supervisord'])).code,
      0,
    );
    assert.notEqual((await lab.exec('queue1', ['ls', '/tmp/x'])).code, 0);
  });

  test("/opt is the node's own: each node's /opt/manager, removable; the host's other /opt entries are there", async () => {
    const write =
      'rm -rf /opt/manager && mkdir /opt/manager && echo mine > /opt/manager/x && cat /opt/manager/x';
    const r = await lab.exec('manager1', ['sh', '-c', write]);
    assert.equal(r.stdout, 'mine\n', r.stderr);
    assert.notEqual((await lab.exec('db1', ['cat', '/opt/manager/x'])).code, 0);
    assert.equal(existsSync('/opt/manager/x'), false);
    const host = readdirSync('/opt')
      .filter((e) => e !== 'manager')
      .sort();
    const inNode = (await lab.exec('db1', ['ls', '-A', '/opt'])).stdout
      .split('\n')
      .filter((e) => e && e !== 'manager')
      .sort();
    assert.deepEqual(inNode, host);
  });

  test('cfy_manager and cfy are on the PATH in a node, for exec and for a login shell, not in the host /usr', async () => {
    const bin = fileURLToPath(new URL('../../bin/', import.meta.url));
    const hostBefore = existsSync('/usr/local/bin') ? readdirSync('/usr/local/bin') : [];
    const exec = await lab.exec('queue1', ['sh', '-c', 'command -v cfy_manager; command -v cfy']);
    assert.equal(exec.stdout, `${bin}cfy_manager\n${bin}cfy\n`, exec.stderr);
    const login = await lab.exec('manager1', ['bash', '-lc', 'command -v cfy_manager; command -v cfy']);
    assert.equal(login.stdout, `${bin}cfy_manager\n${bin}cfy\n`, login.stderr);
    const help = await lab.exec('db1', ['cfy_manager', 'dbs', '--help']);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /Usage: cfy_manager dbs/);
    assert.deepEqual(existsSync('/usr/local/bin') ? readdirSync('/usr/local/bin') : [], hostBefore);
  });

  test('a TCP server in one node is reachable from another by IP and by hostname', async () => {
    const start = await lab.exec('db1', [
      'sh',
      '-c',
      'setsid -f python3 -m http.server 8000 >/dev/null 2>&1',
    ]);
    assert.equal(start.code, 0, start.stderr);
    const ip = lab.node('db1').node.ip;
    await within(
      5_000,
      async () => (await lab.exec('manager1', ['python3', '-c', connect(ip, 1)])).code,
      (c) => c === 0,
      'connect by IP',
    );
    const byName = await lab.exec('manager1', ['python3', '-c', connect('db1', 1)]);
    assert.equal(byName.stdout, 'connected\n', byName.stderr);
  });

  test('partition makes the node unreachable, heal brings it back', async () => {
    await lab.partition('db1');
    assert.equal((await lab.status()).find((s) => s.name === 'db1')!.link, 'cut');
    const cut = await lab.exec('manager1', ['python3', '-c', connect('db1', 1)]);
    assert.notEqual(cut.code, 0, 'db1 must not answer while partitioned');
    await lab.heal('db1');
    await within(
      10_000,
      async () => (await lab.exec('manager1', ['python3', '-c', connect('db1', 1)])).code,
      (c) => c === 0,
      'db1 reachable after heal',
    );
  });

  test('kill leaves no process of the node running; start brings it back with its files', async () => {
    const ino = inodes[0]!;
    const init = lab.node('db1').ns.init;
    assert.ok(pidsInNetns(ino).length >= 2, 'supervisord and the http server run in db1');
    await lab.kill('db1');
    assert.deepEqual(pidsInNetns(ino), []);
    assert.equal(isAlive(init), false);
    assert.equal((await lab.status()).find((s) => s.name === 'db1')!.state, 'stopped');
    await assert.rejects(lab.exec('db1', ['true']), /db1 is stopped/);
    await lab.start('db1');
    assert.equal((await lab.exec('db1', ['cat', '/etc/cloudify/only-db1'])).stdout, 'secret\n');
  });

  test('stop is graceful: supervisord stops its programs and nothing is left', async () => {
    await lab.stop('queue1');
    assert.deepEqual(pidsInNetns(inodes[1]!), []);
    await lab.start('queue1');
    assert.equal((await lab.exec('queue1', ['hostname'])).stdout, 'queue1\n');
  });

  test('exec on a node that does not exist is a clear error', async () => {
    await assert.rejects(lab.exec('db9', ['true']), /no node "db9" in the lab/);
  });

  test('up over a half-torn-down lab is refused; down still cleans up', async () => {
    await lab.kill('lb');
    spawnSync('ip', ['netns', 'del', lab.node('lb').ns.netns]);
    await assert.rejects(lab.up(), /half torn down: netns \S+-lb\b.* missing/);
  });

  test('an up that crashed half way is continued by the next up', async () => {
    // The state of an up that died after recording its plan but before creating lb's netns.
    writeState(lab.stateDir, { ...lab.requireState(), phase: 'creating' });
    assert.match(await lab.up(), /4 nodes .* 1 started/);
    assert.equal((await lab.exec('lb', ['hostname'])).stdout, 'lb\n');
    await lab.exec('db1', ['sh', '-c', 'setsid -f python3 -m http.server 8000 >/dev/null 2>&1']);
    const probe = async () => (await lab.exec('lb', ['python3', '-c', connect('db1', 1)])).code;
    await within(5_000, probe, (c) => c === 0, 'db1 reachable from the re-created lb');
    inodes[3] = netnsInode(lab.node('lb').ns.netns)!;
  });

  test('down removes every namespace, link, mount and process it created, and nothing else', async () => {
    await t.down();
    assert.deepEqual(hostSnapshot(), before0);
    for (const ino of inodes) assert.deepEqual(pidsInNetns(ino), []);
    const leftovers = readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return (
            readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(t.dir) ||
            readlinkSync(`/proc/${p}/cwd`).startsWith(t.dir)
          );
        } catch {
          return false;
        }
      });
    assert.deepEqual(leftovers, []);
    assert.equal(existsSync(t.dir), false);
  });
});
