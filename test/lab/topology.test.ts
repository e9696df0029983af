// Bad input and pure logic: needs no root, touches nothing on the host.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCidr } from '../../src/lab/cidr.js';
import { LabError } from '../../src/lab/errors.js';
import { requireRoot } from '../../src/lab/host.js';
import { planInstall } from '../../src/lab/install.js';
import { overlappingRoutes } from '../../src/lab/net.js';
import { bootScript, hostsFile } from '../../src/lab/nodes.js';
import { compileOptions } from '../../src/lab/options.js';
import { BUILTIN, compileTopology, loadTopology } from '../../src/lab/topology.js';

const subnet = parseCidr('10.177.0.0/24');
const labError = (pattern: RegExp) => (err: unknown) => err instanceof LabError && pattern.test(err.message);

test('the default topology is the guide best practice: 10 named nodes from .11', () => {
  const t = loadTopology(undefined, subnet);
  assert.deepEqual(
    t.nodes.map((n) => n.name),
    ['db1', 'db2', 'db3', 'queue1', 'queue2', 'queue3', 'manager1', 'manager2', 'manager3', 'lb'],
  );
  assert.equal(t.nodes[0]!.ip, '10.177.0.11');
  assert.equal(t.nodes[9]!.ip, '10.177.0.20');
  assert.deepEqual(t.nodes[9]!.roles, ['load_balancer']);
  assert.equal(loadTopology('compact', subnet).nodes.length, 3);
  assert.equal(loadTopology('all-in-one', subnet).nodes.length, 1);
  assert.ok(BUILTIN['best-practice']);
});

test('a node name that is not a valid hostname is refused', () => {
  for (const name of ['DB1', 'db_1', '-db', 'db-', '', 'a'.repeat(64), 'db.1']) {
    assert.throws(
      () => compileTopology('t', { nodes: [{ name }] }, subnet),
      labError(/not a valid hostname/),
      name,
    );
  }
});

test('a duplicate IP is refused, naming both nodes', () => {
  const spec = {
    nodes: [
      { name: 'a', ip: '10.177.0.30' },
      { name: 'b', ip: '10.177.0.30' },
    ],
  };
  assert.throws(
    () => compileTopology('t', spec, subnet),
    labError(/duplicate IP 10\.177\.0\.30: nodes a and b/),
  );
  // An explicit IP that collides with an automatic one is a duplicate too.
  const mixed = { nodes: [{ name: 'a' }, { name: 'b', ip: '10.177.0.11' }] };
  assert.throws(() => compileTopology('t', mixed, subnet), labError(/duplicate IP/));
});

test('duplicate names, foreign IPs and the bridge address are refused', () => {
  assert.throws(
    () => compileTopology('t', { nodes: [{ name: 'a' }, { name: 'a' }] }, subnet),
    labError(/twice/),
  );
  for (const ip of ['10.177.1.5', '10.177.0.0', '10.177.0.255']) {
    assert.throws(
      () => compileTopology('t', { nodes: [{ name: 'a', ip }] }, subnet),
      labError(/not a host address/),
    );
  }
  assert.throws(
    () => compileTopology('t', { nodes: [{ name: 'a', ip: '10.177.0.1' }] }, subnet),
    labError(/bridge/),
  );
  assert.throws(() => compileTopology('t', { nodes: [{ name: 'a', roles: ['cook'] }] }, subnet), LabError);
  assert.throws(() => loadTopology('/nonexistent/topology.yaml', subnet), labError(/cannot read topology/));
});

test('a subnet overlapping an existing route is detected; default routes and our own bridge are not', () => {
  const routes = [
    { dst: 'default', dev: 'eth0' },
    { dst: '10.177.0.0/16', dev: 'eth1' },
    { dst: '10.177.0.0/24', dev: 'stlab0' },
    { dst: '192.0.2.0/24', dev: 'eth0' },
  ];
  assert.deepEqual(
    overlappingRoutes(subnet, routes, 'stlab0').map((r) => r.dev),
    ['eth1'],
  );
  assert.deepEqual(overlappingRoutes(parseCidr('10.178.0.0/24'), routes, 'stlab0'), []);
  assert.equal(overlappingRoutes(parseCidr('192.0.2.128/25'), routes, 'x').length, 1);
});

test('options: bad subnet, bridge and state dir are refused', () => {
  assert.throws(() => compileOptions({ subnet: '10.0.0.0/8' }), labError(/prefix/));
  assert.throws(() => compileOptions({ subnet: '10.0.0.300/24' }), labError(/not an IPv4/));
  assert.throws(() => compileOptions({ bridge: 'waytoolongname' }), labError(/bridge name/));
  assert.throws(() => compileOptions({ stateDir: 'relative' }), labError(/absolute/));
  assert.equal(
    compileOptions({ stateDir: '/x', subnet: '10.9.9.7/24', bridge: 'b' }).subnet.base,
    parseCidr('10.9.9.0/24').base,
  );
});

test('running without root is refused with a fix', () => {
  assert.throws(
    () => requireRoot(1000),
    (err: unknown) => err instanceof LabError && /needs root/.test(err.message) && /sudo/.test(err.fix ?? ''),
  );
  assert.doesNotThrow(() => requireRoot(0));
});

test('each node gets hosts entries for all nodes, and the boot script binds /tmp last', () => {
  const nodes = loadTopology('compact', subnet).nodes;
  assert.match(hostsFile(nodes), /10\.177\.0\.12\tnode2\n/);
  const script = bootScript('/var/lib/stratus-lab', 'node1').split('\n');
  assert.equal(script[1], "hostname 'node1'");
  assert.match(script.at(-2)!, /\/tmp'$/);
  assert.match(script.at(-1)!, /^exec \/usr\/bin\/supervisord -n/);
  assert.ok(script.some((l) => l.endsWith(" '/etc/cloudify'")));
  // /opt first (while the state dir is still reachable), the node's own manager dir left out of the host's.
  assert.equal(script[4], "mount --rbind '/var/lib/stratus-lab/nodes/node1/fs/opt' /opt");
  assert.match(script[3]!, /\[ "\$e" = 'manager' \] && continue/);
});

test('a checkout under a private dir (a clone in /tmp) stays visible inside the node', () => {
  const script = bootScript('/var/lib/stratus-lab', 'node1', '/tmp/ci/main').split('\n');
  const root = '/var/lib/stratus-lab/nodes/node1/fs';
  const inner = script.indexOf(`mount --bind '/tmp/ci/main' '${root}/tmp/ci/main'`);
  const outer = script.indexOf(`mount --rbind '${root}/tmp' '/tmp'`);
  assert.ok(inner > 0, script.join('\n'));
  assert.ok(outer > inner, 'the checkout is mounted into the copy before the copy is bound over /tmp');
  assert.ok(!script.includes(`mount --bind '${root}/tmp' '/tmp'`));
  const atWork = bootScript('/var/lib/stratus-lab', 'node1', '/work/main');
  assert.ok(!atWork.includes(`--rbind '${root}/tmp'`));
});

test('lab install follows the guide: databases, brokers, managers, then the load balancer', () => {
  const shuffled = [...loadTopology(undefined, subnet).nodes].reverse();
  const plan = planInstall(shuffled);
  assert.deepEqual(
    plan.map((p) => p.node.name),
    ['db3', 'db2', 'db1', 'queue3', 'queue2', 'queue1', 'manager3', 'manager2', 'manager1', 'lb'],
  );
  assert.deepEqual(plan.at(-1)!.services, ['load_balancer_service']);
  assert.deepEqual(plan[6]!.services, ['manager_service', 'monitoring_service']);
});

test('lab install refuses, before any change, nodes the guide cannot install', () => {
  assert.throws(
    () => planInstall(loadTopology('compact', subnet).nodes),
    labError(
      /^node node1 has several roles \(database \+ queue \+ manager\); the cluster guide installs one role per node$/,
    ),
  );
  const lonely = compileTopology('m', { nodes: [{ name: 'm1', roles: ['manager'] }] }, subnet).nodes;
  assert.throws(
    () => planInstall(lonely),
    labError(/^node m1 \(manager\) needs a database, and the topology has no database node$/),
  );
  const lbOnly = compileTopology('l', { nodes: [{ name: 'lb', roles: ['load_balancer'] }] }, subnet).nodes;
  assert.throws(() => planInstall(lbOnly), labError(/needs managers to balance/));
  const bare = compileTopology('b', { nodes: [{ name: 'client' }] }, subnet).nodes;
  assert.deepEqual(planInstall(bare), []);
});
