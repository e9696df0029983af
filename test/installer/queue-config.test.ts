// queue_service without a broker: node names, cookie, policies, the files it writes, the checks.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  DEFAULT_POLICIES,
  erlangCookie,
  policyDefinitions,
  type RabbitmqSection,
  rabbitNodename,
  validateQueueSection,
} from '../../src/installer/components/queue/config.js';
import {
  ENABLED_PLUGINS,
  hostsBlock,
  rabbitEnv,
  rabbitPasswordHash,
  renderDefinitions,
  renderEnvConf,
  renderRabbitmqConf,
} from '../../src/installer/components/queue/files.js';

const members = {
  queue1: { networks: { default: '10.0.0.1' } },
  queue2: { networks: { default: '10.0.0.2' } },
  queue3: { networks: { default: '10.0.0.3' } },
};
const section = (over: Partial<RabbitmqSection> = {}): RabbitmqSection => ({
  username: 'cloudify',
  password: 'secretpw',
  cluster_members: members,
  cert_path: '/c.crt',
  key_path: '/c.key',
  ca_path: '/ca.crt',
  nodename: 'queue2',
  erlang_cookie: 'cookie',
  join_cluster: 'queue1',
  policies: DEFAULT_POLICIES,
  ...over,
});

describe('node name', () => {
  test('rabbit@<short host>, long names kept only with use_long_name', () => {
    assert.equal(rabbitNodename({ nodename: 'queue1', cluster_members: {} }), 'rabbit@queue1');
    assert.equal(rabbitNodename({ nodename: 'queue1.example.com', cluster_members: {} }), 'rabbit@queue1');
    assert.equal(
      rabbitNodename({ nodename: 'queue1.example.com', use_long_name: true, cluster_members: {} }),
      'rabbit@queue1.example.com',
    );
    assert.equal(rabbitNodename({ nodename: 'other@q1', cluster_members: {} }), 'other@q1');
    assert.equal(rabbitNodename({ nodename: null, cluster_members: {} }), 'rabbit@localhost');
  });
  test('a cluster without a nodename is an error', () => {
    assert.throws(
      () => rabbitNodename({ nodename: '', cluster_members: members }),
      /ValidationError|Rabbitmq nodename must be set for clustering\./,
    );
  });
});

describe('erlang cookie', () => {
  test('configured value is stripped; a cluster needs one; otherwise 64 random alphanumerics', () => {
    assert.equal(erlangCookie({ erlang_cookie: '  abc \n', cluster_members: members }), 'abc');
    assert.throws(
      () => erlangCookie({ erlang_cookie: null, cluster_members: members }),
      /Cluster members are configured but erlang_cookie has not been set\./,
    );
    const c = erlangCookie({ erlang_cookie: null, cluster_members: { q: {} } });
    assert.match(c, /^[A-Za-z0-9]{64}$/);
    assert.notEqual(c, erlangCookie({ erlang_cookie: null, cluster_members: {} }));
  });
});

describe('policies', () => {
  test('the defaults keep TTL and max-length on the events and logs queues, and nothing ha-*', () => {
    const { policies, dropped } = policyDefinitions(DEFAULT_POLICIES);
    assert.deepEqual(dropped, []);
    assert.deepEqual(
      policies.map((p) => [p.name, p.pattern, p.priority, p['apply-to'], p.vhost]),
      [
        ['logs_queue_message_policy', '^cloudify-log$', 100, 'queues', '/'],
        ['events_queue_message_policy', '^cloudify-events$', 100, 'queues', '/'],
      ],
    );
    for (const p of policies)
      assert.deepEqual(p.definition, { 'message-ttl': 1200000, 'max-length': 1000000 });
  });
  test("Cloudify's ha-mode policies lose their ha-* keys; a policy left empty is dropped", () => {
    const { policies, dropped } = policyDefinitions([
      {
        name: 'logs',
        expression: '^cloudify-log$',
        priority: 100,
        policy: { 'message-ttl': 5, 'ha-mode': 'all', 'ha-sync-mode': 'automatic', 'ha-sync-batch-size': 50 },
      },
      { name: 'default_policy', expression: '^', policy: { 'ha-mode': 'all' }, apply_to: 'all' },
    ]);
    assert.deepEqual(
      policies.map((p) => [p.name, p.definition]),
      [['logs', { 'message-ttl': 5 }]],
    );
    assert.equal(dropped.length, 5);
    assert.match(dropped.join('\n'), /default_policy: \(whole policy/);
  });
});

describe('files', () => {
  const tls = { cert: '/s/c.pem', key: '/s/k.pem', ca: '/s/ca.pem' };
  test('rabbitmq.conf: TLS only on 5671, management only over TLS on 15671, metrics on 15692, pause_minority', () => {
    const conf = renderRabbitmqConf({ tls, definitions: true });
    const lines = conf.split('\n');
    assert.ok(lines.includes('listeners.tcp = none'));
    assert.ok(lines.includes('listeners.ssl.default = 5671'));
    assert.ok(lines.includes('management.ssl.port = 15671'));
    assert.ok(!lines.some((l) => l.startsWith('management.tcp')));
    assert.ok(lines.includes('prometheus.tcp.port = 15692'));
    assert.ok(lines.includes('cluster_partition_handling = pause_minority'));
    assert.ok(lines.includes('ssl_options.keyfile = /s/k.pem'));
    assert.ok(lines.includes('management.ssl.cacertfile = /s/ca.pem'));
    assert.ok(lines.includes('load_definitions = /etc/cloudify/rabbitmq/definitions.json'));
    assert.ok(!renderRabbitmqConf({ tls, definitions: false }).includes('load_definitions'));
    assert.ok(!/tlsv1(\.1)?$/m.test(conf), 'no TLS 1.0/1.1');
  });
  test('env file, plugins and the environment of the server and the CLI', () => {
    assert.match(renderEnvConf('rabbit@queue1', false), /^NODENAME=rabbit@queue1$/m);
    assert.match(renderEnvConf('rabbit@q.x', true), /^USE_LONGNAME=true$/m);
    assert.equal(ENABLED_PLUGINS, '[rabbitmq_management,rabbitmq_prometheus,rabbitmq_tracing].\n');
    assert.equal(rabbitEnv().HOME, '/var/lib/rabbitmq');
    assert.equal(rabbitEnv().RABBITMQ_CONF_ENV_FILE, '/etc/rabbitmq/rabbitmq-env.conf');
  });
  test('password hash is rabbit_password_hashing_sha256: base64(salt + sha256(salt + password))', () => {
    const salt = Buffer.from([1, 2, 3, 4]);
    const h = Buffer.from(rabbitPasswordHash('pw', salt), 'base64');
    assert.deepEqual(h.subarray(0, 4), salt);
    assert.deepEqual(
      h.subarray(4),
      createHash('sha256')
        .update(Buffer.concat([salt, Buffer.from('pw')]))
        .digest(),
    );
    const { json } = renderDefinitions(section(), salt);
    const d = JSON.parse(json);
    assert.deepEqual(d.vhosts, [{ name: '/' }]);
    assert.equal(d.users[0].name, 'cloudify');
    assert.equal(d.users[0].tags, 'administrator');
    assert.equal(d.users[0].hashing_algorithm, 'rabbit_password_hashing_sha256');
    assert.ok(!json.includes('secretpw'), 'no clear password in definitions');
    assert.deepEqual(d.permissions, [
      { user: 'cloudify', vhost: '/', configure: '.*', write: '.*', read: '.*' },
    ]);
  });
  test('hosts block', () => {
    assert.equal(
      hostsBlock([{ name: 'q1', ip: '10.0.0.1' }]),
      '# Added for cloudify rabbitmq clustering\n10.0.0.1 q1\n',
    );
    assert.equal(hostsBlock([]), '');
  });
});

describe('validation', () => {
  const all = () => true;
  test("the guide's joining node passes", () => {
    assert.deepEqual(validateQueueSection(section(), all), []);
  });
  test('join_cluster naming an unknown host is a clear error', () => {
    const errs = validateQueueSection(section({ join_cluster: 'nosuchhost' }), (n) => n !== 'nosuchhost');
    assert.equal(errs.length, 1);
    assert.match(
      errs[0]!,
      /rabbitmq\.join_cluster names "nosuchhost", which is not one of rabbitmq\.cluster_members \(queue1, queue2, queue3\) and does not resolve/,
    );
  });
  test('join_cluster naming this node, missing cookie, missing certs, unresolvable member without IP', () => {
    assert.match(validateQueueSection(section({ join_cluster: 'queue2' }), all).join(), /names this node/);
    assert.match(
      validateQueueSection(section({ erlang_cookie: ' ' }), all).join(),
      /erlang_cookie has not been set/,
    );
    assert.match(validateQueueSection(section({ key_path: '' }), all).join(), /Cannot generate self-signed/);
    const errs = validateQueueSection(
      section({ cluster_members: { ...members, q9: {} } }),
      (n) => n !== 'q9',
    );
    assert.match(errs.join(), /IP not provided for unresolvable rabbit node q9/);
  });
});
