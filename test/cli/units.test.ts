// The CLI's pure parts, no manager: prefix matching, tables, event lines, inputs, profiles on disk,
// node order and the failover transport against throwaway local HTTP servers.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  AllNodesOffline,
  type CloudifyClientError,
  type ConnectionFailure,
} from '../../src/cli/client/errors.js';
import { encodeQuery } from '../../src/cli/client/http.js';
import { nodeOrder, Transport } from '../../src/cli/client/transport.js';
import type { CliError } from '../../src/cli/errors.js';
import { formatEvent } from '../../src/cli/events-format.js';
import { follow } from '../../src/cli/commands/executions/follow.js';
import type { CloudifyClient } from '../../src/cli/client/index.js';
import { Ctx } from '../../src/cli/context.js';
import { parseInputs } from '../../src/cli/inputs.js';
import { Output } from '../../src/cli/output.js';
import { buildProgram } from '../../src/cli/main.js';
import { resolvePrefixes, similarity, suggestions } from '../../src/cli/prefix.js';
import { newProfile, ProfileStore } from '../../src/cli/profiles/store.js';
import { center, formatCell, renderTable } from '../../src/cli/table.js';
import { freePort } from '../helpers/postgres.js';

describe('prefix matching', () => {
  const program = buildProgram();
  test('an unambiguous prefix resolves at every level', () => {
    assert.deepEqual(resolvePrefixes(program, ['dep', 'li', '--json']), ['deployments', 'list', '--json']);
    assert.deepEqual(resolvePrefixes(program, ['node-i', 'g', 'x']), ['node-instances', 'get', 'x']);
  });
  test('option values are not taken for commands', () => {
    assert.deepEqual(resolvePrefixes(program, ['--manager', 'dep', 'exe', 'st', 'install', '-d', 'dep']), [
      '--manager',
      'dep',
      'executions',
      'start',
      'install',
      '-d',
      'dep',
    ]);
  });
  test('an ambiguous prefix fails with "Too many matches"', () => {
    assert.throws(
      () => resolvePrefixes(program, ['d', 'list']),
      (e: CliError) => e.exitCode === 2 && /^Too many matches: db-nodes, deployments$/.test(e.message),
    );
  });
  test('an unknown command gets Cloudify-style suggestions (difflib, cutoff 0.5)', () => {
    assert.throws(
      () => resolvePrefixes(program, ['deploymnts']),
      (e: CliError) =>
        /No such command "deploymnts"\. Did you mean one of these\? deployments/.test(e.message),
    );
    assert.equal(similarity('abcd', 'bcde'), 0.75);
    assert.deepEqual(suggestions('blueprint', ['blueprints', 'profiles', 'status']), ['blueprints']);
  });
});

describe('output formats', () => {
  test('tables look like PrettyTable: centred headers, left-aligned cells', () => {
    assert.equal(center('service', 30), `${' '.repeat(11)}service${' '.repeat(12)}`);
    assert.equal(
      renderTable(['id', 'status'], [['a', 'Active']]),
      ['+----+--------+', '| id | status |', '+----+--------+', '| a  | Active |', '+----+--------+'].join(
        '\n',
      ),
    );
    assert.equal(formatCell('2020-01-02T03:04:05.678Z'), '2020-01-02 03:04:05.678');
    assert.equal(formatCell(['a', 'b']), 'a,b');
    assert.equal(formatCell(null), '');
    assert.equal(formatCell(false), 'false');
  });
  test('event lines: <ts>  <CFY|LOG> <dep> [<instance>.<op>] <msg>', () => {
    assert.equal(
      formatEvent({
        timestamp: '2020-01-02T03:04:05.678Z',
        type: 'cloudify_event',
        event_type: 'task_started',
        message: 'Task started',
        deployment_id: 'd1',
        node_instance_id: 'vm_x1',
        operation: 'cloudify.interfaces.lifecycle.create',
      }),
      '2020-01-02 03:04:05.678  CFY <d1> [vm_x1.create] Task started',
    );
    assert.equal(
      formatEvent({
        timestamp: '2020-01-02T03:04:05.678Z',
        type: 'cloudify_log',
        level: 'info',
        message: 'hi',
        deployment_id: 'd1',
      }),
      '2020-01-02 03:04:05.678  LOG <d1> INFO: hi',
    );
    assert.equal(
      formatEvent({ type: 'cloudify_log', level: 'debug', message: 'x', deployment_id: 'd' }),
      null,
    );
    // as 5.1's Event: the time the item was made (reported_timestamp), not when it was stored
    assert.equal(
      formatEvent({
        timestamp: '2020-01-02T03:04:09.000Z',
        reported_timestamp: '2020-01-02T03:04:05.678Z',
        type: 'cloudify_log',
        level: 'info',
        message: 'hi',
        deployment_id: 'd1',
      }),
      '2020-01-02 03:04:05.678  LOG <d1> INFO: hi',
    );
  });
});

describe('inputs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfy-inputs-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  test('every form, merged in order', () => {
    writeFileSync(join(dir, 'a-inputs.yaml'), 'a: 1\nb: from-file\n');
    writeFileSync(join(dir, 'b-inputs.yaml'), 'c: [1, 2]\n');
    assert.deepEqual(
      parseInputs([
        join(dir, 'a-inputs.yaml'),
        '{"d": {"x": true}}',
        'e=5;f=text;g=true',
        join(dir, '*-inputs.yaml'),
      ]),
      { a: 1, b: 'from-file', c: [1, 2], d: { x: true }, e: 5, f: 'text', g: true },
    );
    assert.deepEqual(parseInputs([dir]), { a: 1, b: 'from-file', c: [1, 2] });
    assert.deepEqual(parseInputs(['x: y']), { x: 'y' });
  });
  test('a bad string or a missing file is one usage error', () => {
    assert.throws(
      () => parseInputs(['not-a-dict']),
      (e: CliError) => e.exitCode === 2 && /Invalid input: not-a-dict/.test(e.message),
    );
    assert.throws(
      () => parseInputs(['nope.yaml']),
      (e: CliError) => /Inputs file nope.yaml does not exist/.test(e.message),
    );
  });
});

describe('profiles on disk', () => {
  const root = mkdtempSync(join(tmpdir(), 'cfy-store-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  test('CFY_WORKDIR replaces the home directory', () => {
    assert.equal(ProfileStore.fromEnv({ CFY_WORKDIR: '/x' }).root, '/x/.cloudify');
  });
  test('context.json round-trips with sorted keys; the active profile is a file', () => {
    const store = new ProfileStore(join(root, '.cloudify'));
    const p = { ...newProfile('m1', '10.0.0.1'), manager_username: 'admin' };
    store.save(p);
    store.setActive('m1');
    const text = readFileSync(join(store.dir('m1'), 'context.json'), 'utf8');
    assert.deepEqual(Object.keys(JSON.parse(text)), Object.keys(JSON.parse(text)).sort());
    assert.deepEqual(store.load('m1'), p);
    assert.equal(readFileSync(join(store.root, 'active.profile'), 'utf8'), 'm1');
    assert.deepEqual(store.names(), ['m1']);
  });
  test('an old 5.1 YAML `context` still reads', () => {
    const store = new ProfileStore(join(root, 'old'));
    mkdirSync(store.dir('legacy'), { recursive: true });
    writeFileSync(
      join(store.dir('legacy'), 'context'),
      [
        '!CloudifyProfileContext',
        '_cluster: []',
        '_profile_name: legacy',
        '_ssh_port: 2222',
        'manager_ip: 10.1.2.3',
        'manager_username: admin',
        'manager_password: secret',
        'manager_tenant: default_tenant',
        'rest_port: 443',
        'rest_protocol: https',
        'rest_certificate: null',
        'provider_context: {}',
        '',
      ].join('\n'),
    );
    const p = store.load('legacy')!;
    assert.equal(p.name, 'legacy');
    assert.equal(p.manager_ip, '10.1.2.3');
    assert.equal(p.ssh_port, 2222);
    assert.equal(p.rest_protocol, 'https');
    assert.deepEqual(p.cluster, {});
  });
});

describe('cluster node order', () => {
  const defaults = { port: 80, protocol: 'http' as const };
  const managers = [
    { hostname: 'm1', host_ip: '10.0.0.1' },
    { hostname: 'm2', host_ip: '10.0.0.2', rest_port: 8080 },
    { hostname: 'm3', host_ip: '10.0.0.3' },
  ];
  const hosts = (o: Parameters<typeof nodeOrder>[0]) => nodeOrder(o).map((n) => `${n.host}:${n.port}`);
  test("Cloudify's order: manager_ip, then the cluster list without it", () => {
    assert.deepEqual(hosts({ managerIp: '10.0.0.3', defaults, managers }), [
      '10.0.0.3:80',
      '10.0.0.1:80',
      '10.0.0.2:8080',
    ]);
  });
  test('Stratus: the last node that answered goes first', () => {
    assert.deepEqual(hosts({ managerIp: '10.0.0.1', defaults, managers, lastGood: 'm3' }), [
      '10.0.0.3:80',
      '10.0.0.1:80',
      '10.0.0.2:8080',
    ]);
  });
  test('nodes sharing an address are told apart by their port', () => {
    const same = [
      { hostname: 'a', host_ip: '127.0.0.1', rest_port: 8001 },
      { hostname: 'b', host_ip: '127.0.0.1', rest_port: 8002 },
    ];
    const d = { port: 8001, protocol: 'http' as const };
    assert.deepEqual(hosts({ managerIp: '127.0.0.1', defaults: d, managers: same }), [
      '127.0.0.1:8001',
      '127.0.0.1:8002',
    ]);
    assert.deepEqual(hosts({ managerIp: '127.0.0.1', defaults: d, managers: same, lastGood: 'b' }), [
      '127.0.0.1:8002',
      '127.0.0.1:8001',
    ]);
    assert.deepEqual(
      hosts({ managerIp: '127.0.0.1', defaults: d, managers: same, pinned: '127.0.0.1:8002' }),
      ['127.0.0.1:8002'],
    );
  });
  test('--manager pins one node', () => {
    assert.deepEqual(hosts({ managerIp: '10.0.0.1', defaults, managers, pinned: 'm2' }), ['10.0.0.2:8080']);
  });
});

describe('failover transport', () => {
  const servers: Server[] = [];
  after(() => {
    for (const s of servers) s.close();
  });
  const serve = async (status: number, body: unknown) => {
    const s = createServer((_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    return (s.address() as { port: number }).port;
  };
  const node = (port: number, name = `n${port}`) => ({
    name,
    host: '127.0.0.1',
    port,
    protocol: 'http' as const,
  });

  test('moves on after a refused connection and a 502, and reports the node that answered', async () => {
    const dead = await freePort();
    const bad = await serve(502, { message: 'bad gateway' });
    const good = await serve(200, { ok: true });
    const failed: string[] = [];
    let failover: string | undefined;
    const t = new Transport({
      nodes: [node(dead), node(bad), node(good, 'good')],
      creds: {},
      cluster: true,
      onNodeFailed: (n, reason) => failed.push(`${n.port}:${reason}`),
      onFailover: (n) => {
        failover = n.name;
      },
    });
    const r = await t.request({ method: 'GET', path: '/status' });
    assert.deepEqual(r.body, { ok: true });
    assert.deepEqual(failed, [`${dead}:ECONNREFUSED`, `${bad}:HTTP 502`]);
    assert.equal(failover, 'good');
    assert.equal(t.current.port, good);
  });
  test('any other HTTP error is raised at once', async () => {
    const unauthorized = await serve(401, { message: 'User unauthorized', error_code: 'unauthorized_error' });
    const good = await serve(200, {});
    const t = new Transport({ nodes: [node(unauthorized), node(good)], creds: {}, cluster: true });
    await assert.rejects(
      t.request({ method: 'GET', path: '/x' }),
      (e: CloudifyClientError) => e.status === 401,
    );
  });
  test('a single node says "REST service at manager <ip> is not responding!"; a cluster says all are offline', async () => {
    const dead = await freePort();
    await assert.rejects(
      new Transport({ nodes: [node(dead)], creds: {}, cluster: false }).request({
        method: 'GET',
        path: '/x',
      }),
      (e: ConnectionFailure) => e.message === 'REST service at manager 127.0.0.1 is not responding!',
    );
    await assert.rejects(
      new Transport({ nodes: [node(dead), node(await freePort())], creds: {}, cluster: true }).request({
        method: 'GET',
        path: '/x',
      }),
      AllNodesOffline,
    );
  });
  test('query booleans and repeated keys follow the Python client', () => {
    assert.equal(encodeQuery({ a: true, type: ['x', 'y'], n: undefined }), '?a=true&type=x&type=y');
  });
});

describe('following an execution', () => {
  const sink = (isTTY: boolean) => {
    let text = '';
    return Object.assign(
      {
        write: (c: string) => {
          text += c;
          return true;
        },
        isTTY,
      },
      { text: () => text },
    ) as unknown as NodeJS.WritableStream & { isTTY: boolean; text(): string };
  };
  const fakeClient = () => {
    let polls = 0;
    const events = [
      {
        type: 'cloudify_event',
        event_type: 'workflow_started',
        message: 'Starting',
        deployment_id: 'd',
        timestamp: '2020-01-01T00:00:00.000Z',
      },
      {
        type: 'cloudify_event',
        event_type: 'workflow_succeeded',
        message: 'Done',
        deployment_id: 'd',
        timestamp: '2020-01-01T00:00:01.000Z',
      },
    ];
    return {
      events: {
        list: async (o: { offset: number }) => {
          const items = polls >= 2 ? events.slice(o.offset) : events.slice(o.offset, 1);
          return { items, metadata: { pagination: { total: items.length, size: 100, offset: o.offset } } };
        },
      },
      executions: {
        get: async () => {
          polls++;
          return polls >= 3
            ? { id: 'e', workflow_id: 'install', deployment_id: 'd', status: 'terminated' }
            : {
                id: 'e',
                workflow_id: 'install',
                deployment_id: 'd',
                status: 'started',
                total_operations: 4,
                finished_operations: polls,
              };
        },
      },
    } as unknown as CloudifyClient;
  };
  test('a terminal gets a live finished/total line; a pipe gets only the event lines', async () => {
    for (const isTTY of [true, false]) {
      const out = sink(isTTY);
      const c = new Ctx(
        new Output({ json: false, verbose: 0, stdout: out, stderr: sink(false) }),
        { verbose: 0, json: false, quiet: false },
        {},
      );
      const ex = await follow(c, fakeClient(), 'e', { includeLogs: true, jsonEvents: false, timeout: 30 });
      assert.equal(ex.status, 'terminated');
      const text = out.text();
      assert.match(text, /CFY <d> Starting/);
      assert.match(text, /CFY <d> Done/);
      if (isTTY) assert.match(text, /install: started — 1\/4 operations/);
      else assert.ok(!text.includes('\u001b['), text);
    }
  });
  test('a wait that runs out exits with TIMEOUT and says how to track the execution', async () => {
    const never = {
      events: {
        list: async () => ({ items: [], metadata: { pagination: { total: 0, size: 100, offset: 0 } } }),
      },
      executions: {
        get: async () => ({ id: 'e', workflow_id: 'install', deployment_id: 'd', status: 'started' }),
      },
    } as unknown as CloudifyClient;
    const c = new Ctx(
      new Output({ json: false, verbose: 0, stdout: sink(false), stderr: sink(false) }),
      { verbose: 0, json: false, quiet: false },
      {},
    );
    await assert.rejects(
      follow(c, never, 'e', { includeLogs: true, jsonEvents: false, timeout: 0.01 }),
      (e: CliError) => {
        assert.equal(e.exitCode, 5);
        assert.match(
          e.message,
          /^Timed out waiting for execution e of workflow install on deployment d to end/,
        );
        assert.match(e.fix!, /cfy executions cancel e/);
        return true;
      },
    );
  });
});
