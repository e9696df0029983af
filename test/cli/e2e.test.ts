// `cfy` as a child process against a manager process started here (style §6.18): profiles, every
// resource group, --json parsed, and each bad input of issue 5 giving one line and a non-zero exit.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tar from 'tar';
import { freePort } from '../helpers/postgres.js';
import {
  ADMIN_PASSWORD,
  type Cfy,
  type CfyResult,
  FIXTURES,
  json,
  makeCfy,
  type ManagerProcess,
  startManager,
  useArgs,
} from './helpers.js';

const HELLO = join(FIXTURES, 'hello_world');
// Script lifecycle operations calling ctx: install streams per-instance events and logs.
const JOURNEY = join(FIXTURES, 'hello_scripts');

/** One error line (plus an optional "fix:" line), no stack trace. */
function oneLine(r: CfyResult, code: number, pattern: RegExp): void {
  assert.equal(r.code, code, `exit code (stdout: ${r.stdout}, stderr: ${r.stderr})`);
  const lines = r.stderr.trim().split('\n');
  assert.match(lines[0]!, pattern);
  assert.ok(
    lines.length <= 2 && (lines.length === 1 || lines[1]!.startsWith('  fix: ')),
    `one line: ${r.stderr}`,
  );
  assert.doesNotMatch(r.stderr, /^\s+at /m);
}

describe('cfy against a real manager', () => {
  let m: ManagerProcess;
  const cfy: Cfy = makeCfy();
  before(async () => {
    m = await startManager();
  });
  after(async () => {
    await m?.stop();
    cfy.cleanup();
  });

  test('without a profile, manager commands say how to connect', async () => {
    oneLine(await cfy(['deployments', 'list']), 2, /only available when using a manager.*cfy profiles use/);
  });

  test('profiles use with a wrong password: "User is unauthorized", no profile saved', async () => {
    const r = await cfy([
      'profiles',
      'use',
      '127.0.0.1',
      '--rest-port',
      String(m.port),
      '-u',
      'admin',
      '-p',
      'wrong',
    ]);
    oneLine(r, 4, /^User is unauthorized: Authentication failed for user admin$/);
    assert.equal(existsSync(join(cfy.workdir, '.cloudify/profiles/127.0.0.1/context.json')), false);
  });

  test('profiles use, status, show-current and list', async () => {
    const use = await cfy(useArgs(m.port));
    assert.equal(use.code, 0, use.stderr);
    assert.match(
      use.stdout,
      /Attempting to connect to 127.0.0.1 through port \d+, using http \(SSL mode: False\)/,
    );
    assert.match(use.stdout, /Initialization completed successfully/);
    const ctx = JSON.parse(
      readFileSync(join(cfy.workdir, '.cloudify/profiles/127.0.0.1/context.json'), 'utf8'),
    );
    assert.equal(ctx.rest_port, m.port);
    assert.equal(ctx.manager_username, 'admin');
    assert.equal(readFileSync(join(cfy.workdir, '.cloudify/active.profile'), 'utf8'), '127.0.0.1');

    const status = await cfy(['status']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /Retrieving manager services status\.\.\. \[ip=127\.0\.0\.1\]/);
    assert.match(status.stdout, /\| Manager Rest-Service {11}\| Active/);
    const sj = json(await cfy(['status', '--json']));
    assert.equal(sj.status, 'OK');

    const list = await cfy(['profiles', 'list']);
    assert.match(list.stdout, /\| \*127\.0\.0\.1 \| 127\.0\.0\.1 +\| admin/);
    assert.match(
      list.stdout,
      /name.*manager_ip.*manager_username.*manager_tenant.*ssh_user.*ssh_key_path.*ssh_port.*kerberos_env.*rest_port.*rest_protocol.*rest_certificate/,
    );
    const current = json(await cfy(['profiles', 'show-current', '--json']));
    assert.equal(current.manager_ip, '127.0.0.1');
  });

  test('blueprints: upload a directory, a file and an archive; list, get, inputs, download, delete', async () => {
    const up = await cfy(['blueprints', 'upload', HELLO]);
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stdout, /Blueprint uploaded\. The blueprint's id is hello-world/);
    assert.equal((await cfy(['blu', 'up', join(HELLO, 'blueprint.yaml'), '-b', 'bp-file'])).code, 0);
    const archive = join(cfy.workdir, 'bp_arch.tar.gz');
    await tar.create({ gzip: true, file: archive, cwd: FIXTURES }, ['hello_world']);
    const ar = await cfy(['blueprints', 'upload', archive]);
    assert.equal(ar.code, 0, ar.stderr);
    assert.match(ar.stdout, /id is bp-arch/);

    const list = await cfy(['blueprints', 'list', '--json']);
    const items = json<Record<string, unknown>[]>(list);
    assert.deepEqual(items.map((b) => b.id).sort(), ['bp-arch', 'bp-file', 'hello-world']);
    assert.deepEqual(Object.keys(items[0]!), [
      'id',
      'description',
      'main_file_name',
      'created_at',
      'updated_at',
      'visibility',
      'tenant_name',
      'created_by',
    ]);
    assert.match(list.stderr, /Listing all blueprints/);
    assert.match((await cfy(['blueprints', 'list'])).stdout, /Showing 3 of 3 blueprints/);
    const paged = await cfy(['blueprints', 'list', '-s', '1', '--sort-by', 'id']);
    assert.match(paged.stdout, /\| bp-arch /);
    assert.match(paged.stdout, /Showing 1 of 3 blueprints/);

    const get = json(await cfy(['blueprints', 'get', 'hello-world', '--json']));
    assert.equal(get.description, 'A tiny blueprint for the CLI tests');
    assert.deepEqual(get.deployments, []);
    const inputs = json<{ name: string; default: unknown }[]>(
      await cfy(['blueprints', 'inputs', 'hello-world', '--json']),
    );
    assert.deepEqual(inputs.map((i) => i.name).sort(), ['count', 'greeting']);

    const out = join(cfy.workdir, 'dl.tar.gz');
    const dl = await cfy(['blueprints', 'download', 'hello-world', '-o', out]);
    assert.equal(dl.code, 0, dl.stderr);
    assert.ok(readFileSync(out).length > 100);

    assert.equal((await cfy(['blueprints', 'delete', 'bp-arch'])).code, 0);
    oneLine(await cfy(['blueprints', 'get', 'bp-arch']), 1, /^An error occurred on the server: .*bp-arch/);
  });

  test('blueprints validate parses locally, and a broken blueprint is one line', async () => {
    const ok = await cfy(['blueprints', 'validate', HELLO]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /Blueprint validated successfully/);
    const bad = join(cfy.workdir, 'broken.yaml');
    writeFileSync(
      bad,
      'tosca_definitions_version: cloudify_dsl_1_3\nnode_templates:\n  a:\n    type: no.such.Type\n',
    );
    oneLine(await cfy(['blueprints', 'validate', bad]), 1, /^Failed to validate blueprint: /);
  });

  test('deployments: create with every input form, inputs, outputs, capabilities, list', async () => {
    const inputsFile = join(cfy.workdir, 'in.yaml');
    writeFileSync(inputsFile, 'count: 7\n');
    const c1 = await cfy(['deployments', 'create', 'd-kv', '-b', 'hello-world', '-i', 'greeting=hi;count=3']);
    assert.equal(c1.code, 0, c1.stderr);
    assert.match(c1.stdout, /Deployment created\. The deployment's id is d-kv/);
    const c2 = await cfy([
      'dep',
      'cr',
      'd-json',
      '-b',
      'hello-world',
      '-i',
      '{"greeting": "yo"}',
      '-i',
      inputsFile,
    ]);
    assert.equal(c2.code, 0, c2.stderr);
    const outputs = json(await cfy(['deployments', 'outputs', 'd-kv', '--json']));
    assert.deepEqual(outputs, { message: { value: 'hi', description: 'The greeting' } });
    const inputs = json(await cfy(['deployments', 'inputs', 'd-json', '--json']));
    assert.equal(inputs.greeting.value, 'yo');
    assert.equal(inputs.count.value, 7);
    const caps = await cfy(['deployments', 'capabilities', 'd-kv']);
    assert.match(caps.stdout, / - "cap1":\n {5}Description: A capability\n {5}Value: 3/);
    const deps = json<{ id: string; blueprint_id: string }[]>(
      await cfy(['deployments', 'list', '-b', 'hello-world', '--json']),
    );
    assert.deepEqual(deps.map((d) => d.id).sort(), ['d-json', 'd-kv']);
    assert.deepEqual(Object.keys(deps[0]!), [
      'id',
      'blueprint_id',
      'created_at',
      'updated_at',
      'visibility',
      'tenant_name',
      'created_by',
      'site_name',
    ]);
  });

  test('nodes and node-instances, with runtime properties at dot paths', async () => {
    const nodes = json<{ id: string }[]>(await cfy(['nodes', 'list', '-d', 'd-kv', '--json']));
    assert.deepEqual(nodes.map((n) => n.id).sort(), ['app', 'vm']);
    const node = json(await cfy(['nodes', 'get', 'vm', '-d', 'd-kv', '--json']));
    assert.equal(node.instances.length, 1);
    const [vm] = json<{ id: string; node_id: string }[]>(
      await cfy(['node-instances', 'list', '-d', 'd-kv', '-n', 'vm', '--json']),
    );
    assert.equal(vm!.node_id, 'vm');
    const up = await cfy(['node-instances', 'update-runtime', vm!.id, '-p', 'a.b.c=5', '-p', 'name=x']);
    assert.equal(up.code, 0, up.stderr);
    assert.deepEqual(json(await cfy(['node-instances', 'get', vm!.id, '--json'])).runtime_properties, {
      a: { b: { c: 5 } },
      name: 'x',
    });
    assert.equal((await cfy(['node-instances', 'delete-runtime', vm!.id, '-p', 'a.b'])).code, 0);
    assert.deepEqual(json(await cfy(['node-instances', 'get', vm!.id, '--json'])).runtime_properties, {
      a: {},
      name: 'x',
    });
  });

  test('executions list and get, events list; a server refusal is "An error occurred on the server"', async () => {
    const execs = json<{ workflow_id: string; id: string }[]>(
      await cfy(['executions', 'list', '-d', 'd-kv', '--include-system-workflows', '--json']),
    );
    const env = execs.find((e) => e.workflow_id === 'create_deployment_environment');
    assert.ok(env, JSON.stringify(execs));
    const got = json(await cfy(['executions', 'get', env.id, '--json']));
    assert.equal(got.status, 'completed');
    assert.ok('parameters' in got);
    const events = await cfy(['events', 'list', env.id, '--json']);
    assert.equal(events.code, 0, events.stderr);
    for (const line of events.stdout.trim().split('\n').filter(Boolean))
      assert.equal(typeof JSON.parse(line).type, 'string');
    const tail = await cfy(['events', 'list', env.id, '--tail']);
    assert.equal(tail.code, 0, tail.stderr);
    assert.match(
      tail.stdout,
      /^Finished executing workflow create_deployment_environment on deployment d-kv$/m,
    );
    const plain = await cfy(['events', 'list', env.id]);
    assert.match(plain.stdout, /Showing \d+ of \d+ events/);
    oneLine(
      await cfy(['executions', 'start', 'no_such_workflow', '-d', 'd-kv']),
      1,
      /^An error occurred on the server: .*no_such_workflow/,
    );
  });

  test('secrets, users, tenants and the license', async () => {
    assert.equal((await cfy(['secrets', 'create', 's1', '-s', 'v1'])).code, 0);
    assert.equal(json(await cfy(['secrets', 'get', 's1', '--json'])).value, 'v1');
    assert.equal((await cfy(['secrets', 'update', 's1', '-s', 'v2'])).code, 0);
    assert.equal(json(await cfy(['secrets', 'get', 's1', '--json'])).value, 'v2');
    assert.deepEqual(
      json<{ key: string }[]>(await cfy(['secrets', 'list', '--json'])).map((s) => s.key),
      ['s1'],
    );
    assert.equal((await cfy(['secrets', 'delete', 's1'])).code, 0);

    assert.equal((await cfy(['tenants', 'create', 't2'])).code, 0);
    const u = await cfy(['users', 'create', 'bob', '-p', 'bob-pw-1', '-t', 't2', '-l', 'user']);
    assert.equal(u.code, 0, u.stderr);
    const users = json<Record<string, unknown>[]>(await cfy(['users', 'list', '--json']));
    assert.deepEqual(Object.keys(users[0]!), [
      'username',
      'groups',
      'system wide role',
      'group_system_roles',
      'active',
      'last_login_at',
      'is_locked',
    ]);
    assert.deepEqual(users.map((x) => x.username).sort(), ['admin', 'bob']);
    // 5.1: counts, and the members with --get-data.
    assert.equal(json(await cfy(['tenants', 'get', 't2', '--json'])).users, 1);
    const t2 = json(await cfy(['tenants', 'get', 't2', '--get-data', '--json']));
    assert.deepEqual(t2.users, ['bob']);
    assert.equal((await cfy(['tenants', 'remove-user', 'bob', '-t', 't2'])).code, 0);
    assert.equal((await cfy(['users', 'deactivate', 'bob'])).code, 0);
    assert.equal(json(await cfy(['users', 'get', 'bob', '--json'])).active, false);
    assert.equal((await cfy(['tenants', 'delete', 't2'])).code, 0);

    const lic = await cfy(['license', 'upload', join(FIXTURES, 'license.yaml')]);
    assert.equal(lic.code, 0, lic.stderr);
    const [l] = json<Record<string, unknown>[]>(await cfy(['license', 'list', '--json']));
    assert.equal(l!.customer_id, 'CLI-TEST');
  });

  test('environment credentials, their conflict rule, and a token', async () => {
    const conflict = await cfy(['status'], { env: { CLOUDIFY_USERNAME: 'admin' } });
    oneLine(
      conflict,
      2,
      /^Manager Username is set in profile \*and\* in environment variables\. Set only one\.$/,
    );
    assert.equal((await cfy(['profiles', 'unset', '-u', '-p', '--skip-credentials-validation'])).code, 0);
    const viaEnv = await cfy(['status'], {
      env: { CLOUDIFY_USERNAME: 'admin', CLOUDIFY_PASSWORD: ADMIN_PASSWORD },
    });
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
    const tok = await fetch(`http://127.0.0.1:${m.port}/api/v3.1/tokens`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`,
        tenant: 'default_tenant',
        'content-type': 'application/json',
      },
      body: '{}',
    });
    const token = ((await tok.json()) as { value: string }).value;
    const viaToken = await cfy(['deployments', 'list', '--json'], { env: { CLOUDIFY_TOKEN: token } });
    assert.equal(viaToken.code, 0, viaToken.stderr);
    oneLine(
      await cfy(['status'], { env: { CLOUDIFY_TOKEN: token, CLOUDIFY_USERNAME: 'admin' } }),
      2,
      /Use only one authentication method/,
    );
    const set = await cfy(['profiles', 'set', '-u', 'admin', '-p', ADMIN_PASSWORD]);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /Credentials validated/);
  });

  test('bad input: one clear line and a non-zero exit, a traceback only with -v', async () => {
    oneLine(await cfy(['blueprints', 'upload', '/no/such/dir']), 2, /^Path \/no\/such\/dir does not exist$/);
    oneLine(
      await cfy(['deployments', 'create', 'x', '-b', 'hello-world', '-i', 'garbage']),
      2,
      /^Invalid input: garbage\. It must represent a dictionary$/,
    );
    oneLine(
      await cfy(['deployments', 'create', 'x', '-b', 'hello-world', '-i', 'missing.yaml']),
      2,
      /^Inputs file missing\.yaml does not exist$/,
    );
    oneLine(await cfy(['profiles', 'delete', 'nope']), 2, /^Profile nope does not exist$/);
    const active = join(cfy.workdir, '.cloudify/active.profile');
    const was = readFileSync(active, 'utf8');
    writeFileSync(active, 'ghost');
    oneLine(await cfy(['status']), 2, /^The active profile "ghost" does not exist$/);
    writeFileSync(active, was);
    oneLine(await cfy(['d', 'list']), 2, /^Too many matches: db-nodes, deployments$/);
    oneLine(
      await cfy(['deploymnts', 'list']),
      2,
      /^No such command "deploymnts"\. Did you mean one of these\? deployments/,
    );
    oneLine(
      await cfy(['deployments', 'create']),
      2,
      /^Required option '-b, --blueprint-id <id>' not specified$/,
    );
    const dead = await freePort();
    oneLine(
      await cfy([
        'profiles',
        'use',
        '127.0.0.1',
        '--rest-port',
        String(dead),
        '--profile-name',
        'dead',
        '-u',
        'a',
        '-p',
        'b',
      ]),
      3,
      /^REST service at manager 127\.0\.0\.1 is not responding!$/,
    );
    const verbose = await cfy(['-v', 'blueprints', 'get', 'nope']);
    assert.equal(verbose.code, 1);
    assert.match(verbose.stderr, /^An error occurred on the server: /);
    assert.match(verbose.stderr, /^\s+at /m);
  });

  test('cluster status, the node lists, update-profile and set-cluster', async () => {
    const cs = await cfy(['cluster', 'status', '--json']);
    assert.ok(['OK', 'Degraded', 'Fail'].includes(json(cs).status), cs.stdout + cs.stderr);
    const [mgr] = json<{ hostname: string; private_ip: string }[]>(await cfy(['managers', 'list', '--json']));
    assert.ok(mgr?.hostname);
    assert.ok(Array.isArray(json(await cfy(['cluster', 'brokers', 'list', '--json']))));
    assert.ok(Array.isArray(json(await cfy(['db-nodes', 'list', '--json']))));
    const up = await cfy(['cluster', 'update-profile']);
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stdout, /Profile is up to date with \d+ nodes/);
    assert.equal((await cfy(['profiles', 'set-cluster', mgr.hostname, '-s', 'ubuntu'])).code, 0);
    const ctx = JSON.parse(
      readFileSync(join(cfy.workdir, '.cloudify/profiles/127.0.0.1/context.json'), 'utf8'),
    );
    assert.equal(ctx.cluster.manager[0].hostname, mgr.hostname);
    assert.equal(ctx.cluster.manager[0].ssh_user, 'ubuntu');
    oneLine(
      await cfy(['profiles', 'set-cluster', 'no-such-node', '-s', 'x']),
      2,
      /^Node no-such-node not found in the cluster$/,
    );
    // The profile's own node is the primary: commands still answer.
    assert.equal((await cfy(['status'])).code, 0);
  });

  // The journey of issue 5's "Done when".
  test('journey: upload, create, install with the event stream, outputs, uninstall, delete', async () => {
    assert.equal((await cfy(['blueprints', 'upload', JOURNEY, '-b', 'journey'])).code, 0);
    assert.equal(
      (await cfy(['deployments', 'create', 'j1', '-b', 'journey', '-i', 'greeting=howdy'])).code,
      0,
    );
    const install = await cfy(['executions', 'start', 'install', '-d', 'j1', '--timeout', '120']);
    assert.equal(install.code, 0, install.stdout + install.stderr);
    assert.match(install.stdout, /^Executing workflow install on deployment j1 \[timeout=120 seconds\]$/m);
    assert.match(
      install.stdout,
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} {2}CFY <j1> Starting 'install' workflow execution$/m,
    );
    assert.match(install.stdout, /^\S+ \S+ {2}CFY <j1> \[vm_\w+\.create\] /m);
    assert.match(install.stdout, /^\S+ \S+ {2}LOG <j1> \[app_\w+\.configure\] INFO: saying howdy$/m);
    assert.match(install.stdout, /^Finished executing workflow install on deployment j1$/m);
    assert.ok(!install.stdout.includes('\u001b['), 'no live progress when stdout is not a terminal');
    const instances = json<{ state: string }[]>(await cfy(['node-instances', 'list', '-d', 'j1', '--json']));
    assert.deepEqual(
      instances.map((i) => i.state),
      ['started', 'started'],
    );
    assert.deepEqual(json(await cfy(['deployments', 'outputs', 'j1', '--json'])), {
      message: { value: 'howdy', description: 'The greeting' },
      said: { value: 'howdy', description: 'What the app said at configure' },
    });
    const execs = json<{ id: string; workflow_id: string; status: string }[]>(
      await cfy(['executions', 'list', '-d', 'j1', '--json']),
    );
    const ex = execs.find((e) => e.workflow_id === 'install')!;
    assert.equal(ex.status, 'completed');
    const events = (await cfy(['events', 'list', ex.id, '--json'])).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.ok(events.some((e) => e.event_type === 'workflow_succeeded'));
    const uninstall = await cfy(['executions', 'start', 'uninstall', '-d', 'j1', '--json']);
    assert.equal(uninstall.code, 0, uninstall.stderr);
    const streamed = uninstall.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.ok(
      streamed.some((e) => e.event_type === 'workflow_succeeded'),
      'events as JSON lines',
    );
    assert.equal((await cfy(['deployments', 'delete', 'j1'])).code, 0);
    assert.equal((await cfy(['blueprints', 'delete', 'journey'])).code, 0);
    assert.ok(
      !json<{ id: string }[]>(await cfy(['deployments', 'list', '--json'])).some((d) => d.id === 'j1'),
    );

    // The same through the shortcuts.
    const short = await cfy(['install', HELLO, '-b', 'journey2', '-d', 'j2', '-i', 'count=2']);
    assert.equal(short.code, 0, short.stdout + short.stderr);
    const un = await cfy(['uninstall', 'j2']);
    assert.equal(un.code, 0, un.stdout + un.stderr);
    assert.match(un.stdout, /Deployment deleted\n[\s\S]*Blueprint deleted/);
  });

  test('profiles export, delete, import; init; --version', async () => {
    const archive = join(cfy.workdir, 'profiles.tar.gz');
    assert.equal((await cfy(['profiles', 'export', '-o', archive])).code, 0);
    assert.equal((await cfy(['profiles', 'delete', '127.0.0.1'])).code, 0);
    oneLine(await cfy(['status']), 2, /only available when using a manager/);
    const imp = await cfy(['profiles', 'import', archive]);
    assert.equal(imp.code, 0, imp.stderr);
    assert.equal((await cfy(['profiles', 'use', '127.0.0.1'])).code, 0);
    assert.equal((await cfy(['status'])).code, 0);
    const init = await cfy(['init']);
    assert.equal(init.code, 0, init.stderr);
    assert.ok(existsSync(join(cfy.workdir, '.cloudify/config.yaml')));
    oneLine(await cfy(['init']), 2, /^Environment is already initialized$/);
    const v = await cfy(['--version']);
    assert.equal(v.code, 0);
    assert.match(
      v.stdout,
      /Cloudify CLI 5\.1 \(Stratus\)\nCloudify Manager community 5\.1\.2 \[ip=127\.0\.0\.1\]/,
    );
  });
});
